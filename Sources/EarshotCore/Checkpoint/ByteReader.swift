/// A bounds-checked cursor over raw bytes.
///
/// Every read validates against the remaining length first, so malformed input can only
/// produce a `CheckpointError`, never an out-of-bounds access. The buffer is borrowed from
/// a `withUnsafeBytes` scope, so a reader must not outlive that scope.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    /// Absolute offset of the next byte to read.
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    /// Fails unless `count` more bytes exist; `what` names the item for the error message.
    func require(_ count: Int, for what: String) throws(CheckpointError) {
        guard count >= 0, count <= remaining else {
            throw .at(position, "truncated \(what): needs \(count) bytes, \(max(remaining, 0)) left")
        }
    }

    mutating func readUInt8(_ what: String) throws(CheckpointError) -> UInt8 {
        try require(1, for: what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16LE(_ what: String) throws(CheckpointError) -> UInt16 {
        try require(2, for: what)
        defer { position += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    mutating func readUInt32LE(_ what: String) throws(CheckpointError) -> UInt32 {
        try require(4, for: what)
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func readInt32LE(_ what: String) throws(CheckpointError) -> Int32 {
        Int32(bitPattern: try readUInt32LE(what))
    }

    mutating func readInt64LE(_ what: String) throws(CheckpointError) -> Int64 {
        try require(8, for: what)
        defer { position += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int64.self))
    }

    /// Pickle stores BINFLOAT big-endian, unlike every other binary field.
    mutating func readFloat64BE(_ what: String) throws(CheckpointError) -> Double {
        try require(8, for: what)
        defer { position += 8 }
        let bits = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        return Double(bitPattern: bits)
    }

    /// Returns a view of the next `count` bytes without copying them.
    mutating func readBytes(_ count: Int, _ what: String) throws(CheckpointError) -> UnsafeRawBufferPointer {
        try require(count, for: what)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Reads up to (and consumes, but does not return) a `\n`; protocol 0 opcodes use text lines.
    /// The cap keeps a missing newline from scanning megabytes per opcode.
    mutating func readLine(_ what: String, maxLength: Int = 4096) throws(CheckpointError) -> UnsafeRawBufferPointer {
        let start = position
        let limit = min(bytes.count, start + maxLength + 1)
        var index = start
        while index < limit {
            if bytes[index] == UInt8(ascii: "\n") {
                position = index + 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            }
            index += 1
        }
        if limit == bytes.count {
            throw .at(start, "truncated \(what): no end of line")
        }
        throw .at(start, "\(what) line longer than \(maxLength) bytes")
    }
}
