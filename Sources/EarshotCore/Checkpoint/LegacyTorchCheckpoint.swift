public import Foundation

/// Reads tensors from legacy (pre-1.6, non-zip) `torch.save` files without Python or torch.
///
/// The file is a sequence of pickles — magic number, protocol version, system info, the
/// saved object, the list of storage keys — followed by the raw storage records. Only a
/// whitelisted subset of pickle is interpreted and nothing in the file is executed, so any
/// input either yields tensors or throws `CheckpointError`.
public enum LegacyTorchCheckpoint {
    /// `0x1950a86a20f9469cfc6c` as LONG1 bytes, i.e. little-endian two's complement.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001
    /// Aliasing tensors (several names over one storage) are legitimate, but a hostile file could
    /// reference one large storage thousands of times; output beyond this multiple of the file
    /// size is refused instead of allocated.
    static let maxOutputToFileRatio = 4

    /// The float tensors of the dictionary stored under `stateKey` (e.g. "model_state") in a legacy torch.save file.
    ///
    /// Tensors are returned in dictionary order. Every tensor of that dictionary must be a
    /// C-contiguous `torch.FloatStorage` tensor; anything else is reported as an error rather
    /// than skipped, so a caller never silently misses weights.
    public static func tensors(in data: Data, stateKey: String) throws(CheckpointError) -> [CheckpointTensor] {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(CheckpointError) in try read(bytes, stateKey: stateKey) }
        }
        return try result.get()
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, stateKey: String) throws(CheckpointError) -> [CheckpointTensor] {
        guard !bytes.isEmpty else { throw CheckpointError("empty file: not a torch checkpoint") }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "K") {
            throw .at(0, "zip-format checkpoint (torch >= 1.6) is not supported; re-save it with "
                + "torch.save(obj, path, _use_new_zipfile_serialization=False)")
        }
        var reader = ByteReader(bytes)
        try readHeader(&reader)

        var resolver = TorchResolver(fileSize: bytes.count)
        let objectOffset = reader.position
        let object = try PickleReader.load(from: &reader, resolver: &resolver)
        var plain = PlainDataResolver()
        let keys = try PickleReader.load(from: &reader, resolver: &plain)
        let region = try StorageRegion(keys: keys, declarations: resolver.storages, reader: &reader)

        guard case .dict(let checkpoint) = object else {
            throw .at(objectOffset, "checkpoint object is \(object.kindName), not a dict")
        }
        guard let state = checkpoint.value(forStringKey: stateKey) else {
            let available = checkpoint.entries.compactMap { entry -> String? in
                if case .string(let key) = entry.key { return "'\(key)'" } else { return nil }
            }
            throw .at(objectOffset, "checkpoint has no entry '\(stateKey)' (keys: \(available.joined(separator: ", ")))")
        }
        guard case .dict(let stateDict) = state else {
            throw .at(objectOffset, "checkpoint entry '\(stateKey)' is \(state.kindName), not a dict")
        }
        return try materialize(stateDict, region: region, bytes: bytes, objectOffset: objectOffset)
    }

    /// Checks the three small pickles that identify the legacy format.
    private static func readHeader(_ reader: inout ByteReader) throws(CheckpointError) {
        var plain = PlainDataResolver()
        let magic: PickleValue
        do {
            magic = try PickleReader.load(from: &reader, resolver: &plain)
        } catch {
            throw CheckpointError("not a legacy torch checkpoint (no magic number): \(error.description)")
        }
        guard case .bigInt(let bytes) = magic, bytes == magicNumber else {
            throw .at(0, "not a legacy torch checkpoint: wrong magic number (\(magic.kindName))")
        }
        let versionOffset = reader.position
        let version = try PickleReader.load(from: &reader, resolver: &plain)
        guard case .int(protocolVersion) = version else {
            throw .at(versionOffset, "unsupported torch protocol version (\(version.kindName)); expected 1001")
        }
        let infoOffset = reader.position
        let info = try PickleReader.load(from: &reader, resolver: &plain)
        guard case .dict(let infoDict) = info else {
            throw .at(infoOffset, "system info is \(info.kindName), not a dict")
        }
        if case .bool(false)? = infoDict.value(forStringKey: "little_endian") {
            throw .at(infoOffset, "checkpoint was saved on a big-endian machine; not supported")
        }
    }

    private static func materialize(
        _ state: PickleDict, region: StorageRegion, bytes: UnsafeRawBufferPointer, objectOffset: Int
    ) throws(CheckpointError) -> [CheckpointTensor] {
        // First validate everything and total the sizes, so nothing is allocated for a file
        // that is going to be rejected anyway.
        var plan: [(name: String, tensor: TensorReference, count: Int)] = []
        plan.reserveCapacity(state.entries.count)
        var names = Set<String>()
        var totalCount = 0
        let maxTotalCount = bytes.count / 4 * maxOutputToFileRatio
        for entry in state.entries {
            guard case .string(let name) = entry.key else {
                throw .at(objectOffset, "state dict key is \(entry.key.kindName), not a string")
            }
            guard names.insert(name).inserted else { throw .at(objectOffset, "duplicate tensor name '\(name)'") }
            guard case .object(.tensor(let tensor)) = entry.value else {
                throw .at(objectOffset, "state dict entry '\(name)' is \(entry.value.kindName), not a tensor")
            }
            let count = try checkedLayout(of: tensor, name: name)
            totalCount += count
            guard totalCount <= maxTotalCount else {
                throw .at(tensor.pickleOffset, "tensors would need more than \(maxOutputToFileRatio)x the file size in memory")
            }
            plan.append((name, tensor, count))
        }
        var result: [CheckpointTensor] = []
        result.reserveCapacity(plan.count)
        for item in plan {
            let values = try region.floats(of: item.tensor, count: item.count, in: bytes)
            result.append(CheckpointTensor(name: item.name, shape: item.tensor.shape, values: values))
        }
        return result
    }

    /// Returns the element count after checking dtype and C order.
    ///
    /// Like torch's `is_contiguous`, strides of size-1 dimensions and of empty tensors are
    /// ignored: they never affect which elements are addressed.
    private static func checkedLayout(of tensor: TensorReference, name: String) throws(CheckpointError) -> Int {
        guard tensor.storage.type.isFloat32 else {
            throw .at(tensor.pickleOffset, "unsupported dtype: tensor '\(name)' is stored as "
                + "\(tensor.storage.type.qualifiedName); only torch.FloatStorage (float32) is supported")
        }
        // An empty tensor reads nothing, whatever its other sizes and strides claim.
        guard !tensor.shape.contains(0) else { return 0 }
        var count = 1
        for size in tensor.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            // Bounding each partial product by the storage size also keeps it far from overflow.
            guard !overflow, product <= tensor.storage.count else {
                throw .at(tensor.pickleOffset, "tensor '\(name)' of shape \(tensor.shape) exceeds its storage of \(tensor.storage.count) elements")
            }
            count = product
        }
        var expected = 1
        for (size, stride) in zip(tensor.shape, tensor.strides).reversed() {
            guard size == 1 || stride == expected else {
                throw .at(tensor.pickleOffset, "tensor '\(name)' is not C-contiguous: shape \(tensor.shape), stride \(tensor.strides)")
            }
            expected *= size  // Bounded by `count`, which did not overflow.
        }
        return count
    }
}
