import Foundation

/// Writes pickle opcodes byte by byte, so tests can build checkpoints without Python.
struct PickleBuilder {
    var bytes: [UInt8] = []

    mutating func op(_ byte: UInt8) { bytes.append(byte) }
    mutating func op(_ ascii: Unicode.Scalar) { bytes.append(UInt8(ascii: ascii)) }

    mutating func proto() { bytes += [0x80, 2] }
    mutating func stop() { op(".") }
    mutating func mark() { op("(") }
    mutating func none() { op("N") }
    mutating func bool(_ value: Bool) { op(value ? 0x88 : 0x89) }
    mutating func emptyTuple() { op(")") }
    mutating func tuple() { op("t") }
    mutating func emptyDict() { op("}") }
    mutating func emptyList() { op("]") }
    mutating func setItem() { op("s") }
    mutating func setItems() { op("u") }
    mutating func append() { op("a") }
    mutating func appends() { op("e") }
    mutating func reduce() { op("R") }
    mutating func build() { op("b") }
    mutating func binPersid() { op("Q") }
    mutating func put(_ index: UInt8) { bytes += [UInt8(ascii: "q"), index] }
    mutating func get(_ index: UInt8) { bytes += [UInt8(ascii: "h"), index] }

    mutating func string(_ value: String) {
        op("X")
        littleEndian(UInt32(value.utf8.count))
        bytes += Array(value.utf8)
    }

    /// Uses LONG1 with the full 8 bytes, so any Int64 round-trips.
    mutating func int(_ value: Int64) {
        bytes += [0x8A, 8]
        littleEndian(UInt64(bitPattern: value))
    }

    mutating func intTuple(_ values: [Int]) {
        mark()
        for value in values { int(Int64(value)) }
        tuple()
    }

    mutating func global(_ module: String, _ name: String) {
        op("c")
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// A `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` call,
    /// spelled the way torch 1.x writes it.
    mutating func tensor(
        key: String, numel: Int, offset: Int, shape: [Int], stride: [Int],
        storageType: String = "FloatStorage", view: (key: String, offset: Int, count: Int)? = nil
    ) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storageType)
        string(key)
        string("cpu")
        int(Int64(numel))
        if let view {
            mark()
            string(view.key)
            int(Int64(view.offset))
            int(Int64(view.count))
            tuple()
        } else {
            none()
        }
        tuple()
        binPersid()
        int(Int64(offset))
        intTuple(shape)
        intTuple(stride)
        bool(false)
        global("collections", "OrderedDict")
        emptyTuple()
        reduce()
        tuple()
        reduce()
    }
}

/// Assembles a complete legacy torch.save file around a checkpoint-object pickle.
enum LegacyFileBuilder {
    struct Storage {
        var key: String
        var values: [Float]
        /// Overrides the element count written before the data, to fake corrupt headers.
        var headerCount: Int64?
    }

    static func file(object: PickleBuilder, storages: [Storage]) -> Data {
        var out: [UInt8] = []
        // Magic number 0x1950a86a20f9469cfc6c as LONG1.
        out += [0x80, 2, 0x8A, 10, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, UInt8(ascii: ".")]
        // Protocol version 1001 as BININT2.
        out += [0x80, 2, UInt8(ascii: "M"), 0xE9, 0x03, UInt8(ascii: ".")]
        var info = PickleBuilder()
        info.proto()
        info.emptyDict()
        info.mark()
        info.string("little_endian")
        info.bool(true)
        info.setItems()
        info.stop()
        out += info.bytes
        out += object.bytes
        var keys = PickleBuilder()
        keys.proto()
        keys.emptyList()
        keys.mark()
        for storage in storages { keys.string(storage.key) }
        keys.appends()
        keys.stop()
        out += keys.bytes
        for storage in storages {
            withUnsafeBytes(of: (storage.headerCount ?? Int64(storage.values.count)).littleEndian) { out += $0 }
            for value in storage.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
            }
        }
        return Data(out)
    }

    /// `{'step': 7, 'model_state': OrderedDict(entries)}` where `entries` writes key/value pairs.
    static func checkpoint(_ entries: (inout PickleBuilder) -> Void) -> PickleBuilder {
        var pickle = PickleBuilder()
        pickle.proto()
        pickle.emptyDict()
        pickle.put(0)
        pickle.mark()
        pickle.string("step")
        pickle.int(7)
        pickle.string("model_state")
        pickle.global("collections", "OrderedDict")
        pickle.emptyTuple()
        pickle.reduce()
        pickle.mark()
        entries(&pickle)
        pickle.setItems()
        // torch attaches `_metadata` to state dicts with BUILD.
        pickle.emptyDict()
        pickle.string("_metadata")
        pickle.emptyDict()
        pickle.setItem()
        pickle.build()
        pickle.setItems()
        pickle.stop()
        return pickle
    }
}
