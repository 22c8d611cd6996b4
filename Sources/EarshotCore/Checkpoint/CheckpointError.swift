/// Why a checkpoint cannot be read; the message says what and where (byte offset).
public struct CheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation, normally starting with the byte offset of the problem.
    public var description: String

    /// Creates an error with the given explanation.
    public init(_ description: String) {
        self.description = description
    }
}

extension CheckpointError {
    /// Prefixing the offset uniformly lets a fuzzer finding or a user report be traced
    /// back to the exact byte with `python3 -m pickletools`.
    static func at(_ offset: Int, _ message: String) -> CheckpointError {
        CheckpointError("offset \(offset): \(message)")
    }
}
