#!/usr/bin/env python3
"""Convert Resemblyzer's pretrained.pt to a torch-free format WITHOUT importing torch.

Output:
  resemblyzer-encoder.bin   : all tensors, float32 little-endian, C order, concatenated
  resemblyzer-encoder.json  : {"format": ..., "tensors": [{"name","shape","offset","count"}...]}
                              offset = byte offset into the .bin, count = number of float32s

pretrained.pt (Resemblyzer 0.1.4) is in the *legacy* (pre-1.6, non-zip) torch format:
  pickle(magic 0x1950a86a20f9469cfc6c) pickle(protocol 1001) pickle(sys_info)
  pickle(checkpoint object; tensors are torch._utils._rebuild_tensor_v2(storage, off, size, stride, ...),
         storages are persistent ids ('storage', StorageType, key, location, numel, view_meta))
  pickle(list of storage keys, in file order)
  for each key: int64 little-endian numel, then numel * elemsize raw bytes
The newer zip format (data.pkl + data/<key>) is also supported for completeness.

Usage: python convert.py path/to/pretrained.pt [out_prefix]
"""
import io
import json
import pickle
import struct
import sys
import zipfile

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class StorageRef:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array = None  # filled later


class LazyTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialize(self):
        arr = self.storage.array
        item = arr.itemsize
        return np.lib.stride_tricks.as_strided(
            arr[self.offset:], shape=self.size, strides=tuple(s * item for s in self.stride)).copy()


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *a):
    return LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return LazyTensor(storage, storage_offset, size, stride)


class _StorageType:
    def __init__(self, name):
        self.name = name


class TorchFreeUnpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_tensor":
            return _rebuild_tensor
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_parameter":
            return lambda data, requires_grad, backward_hooks: data
        if module.startswith("torch"):
            # anything else from torch (e.g. torch.device, dtypes) -> opaque placeholder
            return lambda *a, **k: ("<torch:%s.%s>" % (module, name), a)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        # legacy: ('storage', storage_type, key, location, numel, view_metadata)
        # zip:    ('storage', storage_type, key, location, numel)
        assert pid[0] == "storage", pid
        stype, key, numel = pid[1], str(pid[2]), pid[4]
        dtype = STORAGE_DTYPES[stype.name]
        if key not in self.storages:
            self.storages[key] = StorageRef(key, dtype, numel)
        return self.storages[key]


def load_legacy(raw):
    f = io.BytesIO(raw)
    magic = pickle.load(f)
    assert magic == 0x1950A86A20F9469CFC6C, "not a legacy torch file"
    proto = pickle.load(f)
    assert proto == 1001, proto
    _sys_info = pickle.load(f)
    storages = {}
    obj = TorchFreeUnpickler(f, storages).load()
    keys = pickle.load(f)
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        st = storages[str(key)]
        nbytes = numel * np.dtype(st.dtype).itemsize
        st.array = np.frombuffer(f.read(nbytes), dtype=np.dtype(st.dtype).newbyteorder("<"))
        assert st.array.size == numel
    return obj


def load_zip(path):
    z = zipfile.ZipFile(path)
    names = z.namelist()
    pkl = [n for n in names if n.endswith("data.pkl")][0]
    prefix = pkl[: -len("data.pkl")]
    storages = {}
    obj = TorchFreeUnpickler(io.BytesIO(z.read(pkl)), storages).load()
    for key, st in storages.items():
        st.array = np.frombuffer(z.read(prefix + "data/" + key), dtype=np.dtype(st.dtype).newbyteorder("<"))
    return obj


def load_checkpoint(path):
    if zipfile.is_zipfile(path):
        return load_zip(path)
    with open(path, "rb") as fh:
        return load_legacy(fh.read())


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "dl/x/resemblyzer/pretrained.pt"
    out = sys.argv[2] if len(sys.argv) > 2 else "resemblyzer-encoder"
    ckpt = load_checkpoint(src)
    state = ckpt["model_state"] if "model_state" in ckpt else ckpt
    print("checkpoint keys:", list(ckpt.keys()) if isinstance(ckpt, dict) else type(ckpt))
    if "step" in ckpt:
        print("training step:", ckpt["step"])
    entries, blobs, offset = [], [], 0
    for name, t in state.items():
        arr = np.ascontiguousarray(t.materialize().astype("<f4"))
        entries.append({"name": name, "shape": list(arr.shape), "offset": offset, "count": int(arr.size)})
        blobs.append(arr.tobytes())
        offset += arr.nbytes
        print("%-22s %-14s mean=% .5f std=%.5f" % (name, tuple(arr.shape), arr.mean(), arr.std()))
    with open(out + ".bin", "wb") as fh:
        for b in blobs:
            fh.write(b)
    header = {
        "format": "float32-le, C order, concatenated; offset in bytes",
        "source": "Resemblyzer 0.1.4 pretrained.pt model_state",
        "lstm_gate_order": "i,f,g,o (PyTorch): rows [0:H]=input, [H:2H]=forget, [2H:3H]=cell(g), [3H:4H]=output",
        "tensors": entries,
    }
    with open(out + ".json", "w") as fh:
        json.dump(header, fh, indent=1)
    print("wrote %s.bin (%d bytes) and %s.json" % (out, offset, out))


if __name__ == "__main__":
    main()
