/// The non-plain values a torch checkpoint pickle may contain, after whitelisting.
///
/// They hold only resolved scalars (no `PickleValue` children), so they cannot form cycles
/// or add nesting depth.
enum TorchObject {
    /// `collections.OrderedDict`, which torch uses for state dicts and backward hooks.
    case orderedDictType
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)`, used by older torch.
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`, used for `nn.Parameter`.
    case rebuildParameter
    /// A storage class such as `torch.FloatStorage`; it only identifies the element type.
    case storageType(TorchStorageType)
    /// The result of a persistent id: (a view into) a storage whose bytes follow the pickles.
    case storage(StorageView)
    /// The result of rebuilding a tensor; its data is read once the storages are located.
    case tensor(TensorReference)

    var kindName: String {
        switch self {
        case .orderedDictType: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .storageType(let type): type.qualifiedName
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// A legacy typed storage class; the element size is needed to skip storages of any type.
struct TorchStorageType: Hashable {
    let name: String
    let elementSize: Int

    var qualifiedName: String { "torch.\(name)" }
    var isFloat32: Bool { name == "FloatStorage" }

    /// Types whose size is known; others (e.g. quantized) cannot even be skipped over.
    static let elementSizes: [String: Int] = [
        "FloatStorage": 4, "DoubleStorage": 8, "HalfStorage": 2, "BFloat16Storage": 2,
        "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
        "ByteStorage": 1, "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16,
    ]
}

/// A range of elements of a root storage (the whole storage unless the pickle gave view metadata).
struct StorageView {
    let rootKey: String
    let type: TorchStorageType
    /// First element of the view within the root storage.
    let offset: Int
    /// Number of elements in the view.
    let count: Int
}

/// A tensor as described by the pickle, before its elements are read.
struct TensorReference {
    let storage: StorageView
    /// Element offset into `storage`.
    let storageOffset: Int
    let shape: [Int]
    let strides: [Int]
    /// Offset of the REDUCE that built it, so later errors can point into the file.
    let pickleOffset: Int
}
