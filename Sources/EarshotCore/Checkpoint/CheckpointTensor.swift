/// A float32 tensor read from a checkpoint, in C order.
public struct CheckpointTensor: Sendable, Hashable {
    /// The key of the tensor in the state dictionary, e.g. `"lstm.weight_ih_l0"`.
    public var name: String
    /// The size of each dimension, outermost first; empty for a scalar.
    public var shape: [Int]
    /// The elements in row-major (C) order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// Creates a tensor; the caller is responsible for `values.count` matching `shape`.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}
