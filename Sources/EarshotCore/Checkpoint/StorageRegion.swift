/// Locates the raw storage records that follow the pickles of a legacy checkpoint:
/// for each key of the key list, an int64 element count and then the elements, little-endian.
struct StorageRegion {
    /// Byte offset of each root storage's first element.
    private(set) var dataOffsets: [String: Int] = [:]

    /// Walks the records without copying them; every count is checked against the
    /// declaration and the remaining bytes before it is used.
    init(keys: PickleValue, declarations: [String: TorchResolver.Declaration], reader: inout ByteReader) throws(CheckpointError) {
        let keyItems: [PickleValue]
        switch keys {
        case .list(let list): keyItems = list.items
        case .tuple(let tuple): keyItems = tuple.items
        default: throw .at(reader.position, "storage key list is \(keys.kindName), not a list")
        }
        for item in keyItems {
            let key = try TorchResolver.storageKey(item, at: reader.position)
            guard let declaration = declarations[key] else {
                throw .at(reader.position, "storage '\(key)' has data but is not used by the checkpoint")
            }
            guard dataOffsets[key] == nil else { throw .at(reader.position, "storage '\(key)' listed twice") }
            let headerOffset = reader.position
            let count = try reader.readInt64LE("element count of storage '\(key)'")
            guard count == Int64(declaration.count) else {
                throw .at(headerOffset, "storage '\(key)' has \(count) elements in the file but \(declaration.count) in the pickle")
            }
            // declaration.count * elementSize cannot overflow: it was checked against the file size.
            let byteCount = declaration.count * declaration.type.elementSize
            try reader.require(byteCount, for: "data of storage '\(key)'")
            dataOffsets[key] = reader.position
            reader.position += byteCount
        }
        for (key, declaration) in declarations where dataOffsets[key] == nil {
            throw .at(declaration.pickleOffset, "storage '\(key)' is used but has no data in the file")
        }
    }

    /// Copies the elements of a C-contiguous float32 tensor out of the file bytes.
    func floats(of tensor: TensorReference, count: Int, in bytes: UnsafeRawBufferPointer) throws(CheckpointError) -> [Float] {
        let storage = tensor.storage
        guard let base = dataOffsets[storage.rootKey] else {
            throw .at(tensor.pickleOffset, "storage '\(storage.rootKey)' has no data")
        }
        guard tensor.storageOffset <= storage.count, count <= storage.count - tensor.storageOffset else {
            throw .at(tensor.pickleOffset, "tensor [\(tensor.storageOffset), +\(count)) exceeds its storage of \(storage.count) elements")
        }
        // All terms are bounded by the root storage, whose bytes were checked to lie inside `bytes`.
        let start = base + (storage.offset + tensor.storageOffset) * 4
        let source = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count * 4)])
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if _endian(little)
            // The file's little-endian float32 bytes are already the in-memory representation.
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            #else
            for index in 0..<count {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                buffer[index] = Float(bitPattern: bits)
            }
            #endif
            initialized = count
        }
    }
}
