/// Gives meaning to the torch-specific parts of a legacy checkpoint pickle.
///
/// Only a fixed whitelist of globals is accepted and "calling" them only builds inert
/// descriptions; nothing from the file is ever executed.
struct TorchResolver: PickleResolver {
    /// A root storage as first declared by a persistent id.
    struct Declaration {
        let type: TorchStorageType
        let count: Int
        let pickleOffset: Int
    }

    /// Size of the whole file, to reject storages that could not possibly fit in it.
    let fileSize: Int
    private(set) var storages: [String: Declaration] = [:]

    init(fileSize: Int) {
        self.fileSize = fileSize
    }

    /// Torch supports at most 64 dimensions.
    static var maxDimensions: Int { 64 }

    func global(module: String, name: String, at offset: Int) throws(CheckpointError) -> PickleValue {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .object(.orderedDictType)
        case ("torch._utils", "_rebuild_tensor_v2"): return .object(.rebuildTensorV2)
        case ("torch._utils", "_rebuild_tensor"): return .object(.rebuildTensor)
        case ("torch._utils", "_rebuild_parameter"): return .object(.rebuildParameter)
        case ("torch", _) where name.hasSuffix("Storage"):
            guard let size = TorchStorageType.elementSizes[name] else {
                throw .at(offset, "unsupported dtype: storage type torch.\(name)")
            }
            return .object(.storageType(TorchStorageType(name: name, elementSize: size)))
        default:
            throw .at(offset, "GLOBAL \(module).\(name) is not allowed (only OrderedDict and torch tensor/storage rebuilding)")
        }
    }

    func reduce(_ callable: PickleValue, arguments: PickleTuple, at offset: Int) throws(CheckpointError) -> PickleValue {
        guard case .object(let object) = callable else {
            throw .at(offset, "REDUCE of \(callable.kindName) is not allowed")
        }
        let args = arguments.items
        switch object {
        case .orderedDictType:
            guard args.isEmpty else { throw .at(offset, "OrderedDict called with arguments") }
            return .dict(PickleDict())
        case .rebuildTensorV2:
            guard args.count == 6 || args.count == 7 else {
                throw .at(offset, "_rebuild_tensor_v2 expects 6 or 7 arguments, got \(args.count)")
            }
            return try tensor(args, at: offset)
        case .rebuildTensor:
            guard args.count == 4 else { throw .at(offset, "_rebuild_tensor expects 4 arguments, got \(args.count)") }
            return try tensor(args, at: offset)
        case .rebuildParameter:
            guard args.count == 3, case .object(.tensor) = args[0] else {
                throw .at(offset, "_rebuild_parameter expects (tensor, requires_grad, hooks)")
            }
            return args[0]
        case .storageType, .storage, .tensor:
            throw .at(offset, "REDUCE of \(object.kindName) is not allowed")
        }
    }

    /// BUILD on an OrderedDict sets attributes (torch stores `_metadata` there), not items,
    /// so ignoring the state keeps exactly the tensors.
    func build(_ object: PickleValue, state: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue {
        guard case .dict = object else { throw .at(offset, "BUILD of \(object.kindName) is not allowed") }
        return object
    }

    /// Legacy persistent ids are `('storage', type, key, location, count, view_metadata)`;
    /// view metadata is `None` or `(view_key, offset, count)` in elements of the root storage.
    mutating func persistentLoad(_ id: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue {
        guard case .tuple(let tuple) = id, tuple.items.count == 5 || tuple.items.count == 6,
              case .string("storage") = tuple.items[0] else {
            throw .at(offset, "persistent id is not a ('storage', …) tuple")
        }
        let items = tuple.items
        guard case .object(.storageType(let type)) = items[1] else {
            throw .at(offset, "persistent id has no storage type (got \(items[1].kindName))")
        }
        let key = try Self.storageKey(items[2], at: offset)
        let count = try Self.nonNegativeInt(items[4], "storage element count", at: offset)
        guard count <= fileSize / type.elementSize else {
            throw .at(offset, "storage '\(key)' claims \(count) elements of \(type.elementSize) bytes, more than the file holds")
        }
        if let previous = storages[key] {
            guard previous.type == type, previous.count == count else {
                throw .at(offset, "storage '\(key)' redeclared with a different type or size")
            }
        } else {
            storages[key] = Declaration(type: type, count: count, pickleOffset: offset)
        }
        var view = StorageView(rootKey: key, type: type, offset: 0, count: count)
        if items.count == 6, case .tuple(let metadata) = items[5] {
            guard metadata.items.count == 3 else { throw .at(offset, "storage view metadata must have 3 items") }
            _ = try Self.storageKey(metadata.items[0], at: offset)
            let viewOffset = try Self.nonNegativeInt(metadata.items[1], "storage view offset", at: offset)
            let viewCount = try Self.nonNegativeInt(metadata.items[2], "storage view size", at: offset)
            guard viewOffset <= count, viewCount <= count - viewOffset else {
                throw .at(offset, "storage view [\(viewOffset), +\(viewCount)) exceeds storage '\(key)' of \(count) elements")
            }
            view = StorageView(rootKey: key, type: type, offset: viewOffset, count: viewCount)
        } else if items.count == 6, case .none = items[5] {
            // No view: the tensor uses the root storage.
        } else if items.count == 6 {
            throw .at(offset, "storage view metadata must be None or a tuple")
        }
        return .object(.storage(view))
    }

    // MARK: - Helpers

    private func tensor(_ args: [PickleValue], at offset: Int) throws(CheckpointError) -> PickleValue {
        guard case .object(.storage(let storage)) = args[0] else {
            throw .at(offset, "tensor storage must be a persistent storage, got \(args[0].kindName)")
        }
        let storageOffset = try Self.nonNegativeInt(args[1], "tensor storage offset", at: offset)
        let shape = try Self.intTuple(args[2], "tensor size", at: offset)
        let strides = try Self.intTuple(args[3], "tensor stride", at: offset)
        guard shape.count == strides.count else {
            throw .at(offset, "tensor has \(shape.count) sizes but \(strides.count) strides")
        }
        return .object(.tensor(TensorReference(
            storage: storage, storageOffset: storageOffset, shape: shape, strides: strides, pickleOffset: offset)))
    }

    static func storageKey(_ value: PickleValue, at offset: Int) throws(CheckpointError) -> String {
        switch value {
        case .string(let key): return key
        case .int(let key): return String(key)
        default: throw .at(offset, "storage key must be a string, got \(value.kindName)")
        }
    }

    private static func nonNegativeInt(_ value: PickleValue, _ what: String, at offset: Int) throws(CheckpointError) -> Int {
        guard case .int(let raw) = value, raw >= 0, let result = Int(exactly: raw) else {
            throw .at(offset, "\(what) must be a non-negative integer, got \(value.kindName)")
        }
        return result
    }

    private static func intTuple(_ value: PickleValue, _ what: String, at offset: Int) throws(CheckpointError) -> [Int] {
        guard case .tuple(let tuple) = value else { throw .at(offset, "\(what) must be a tuple, got \(value.kindName)") }
        guard tuple.items.count <= maxDimensions else {
            throw .at(offset, "\(what) has \(tuple.items.count) dimensions, more than \(maxDimensions)")
        }
        var result: [Int] = []
        result.reserveCapacity(tuple.items.count)
        for item in tuple.items {
            result.append(try nonNegativeInt(item, what, at: offset))
        }
        return result
    }
}
