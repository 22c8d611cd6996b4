/// Supplies the meaning of everything in a pickle that is not plain data.
///
/// The pickle machine itself never imports or calls anything; it hands GLOBAL, REDUCE, BUILD
/// and BINPERSID to a resolver, which either returns an inert value or throws.
protocol PickleResolver {
    /// The value pushed by GLOBAL; a resolver accepts only names it knows.
    mutating func global(module: String, name: String, at offset: Int) throws(CheckpointError) -> PickleValue
    /// The value pushed by REDUCE, i.e. the "call" of `callable` with `arguments`.
    mutating func reduce(_ callable: PickleValue, arguments: PickleTuple, at offset: Int) throws(CheckpointError) -> PickleValue
    /// The value left by BUILD, which applies `state` to `object`.
    mutating func build(_ object: PickleValue, state: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue
    /// The value pushed by BINPERSID for the persistent id `id`.
    mutating func persistentLoad(_ id: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue
}

/// The resolver for pickles that must contain plain data only (the legacy header pickles
/// and the storage key list), mirroring a bare `pickle.load` without `persistent_load`.
struct PlainDataResolver: PickleResolver {
    func global(module: String, name: String, at offset: Int) throws(CheckpointError) -> PickleValue {
        throw .at(offset, "GLOBAL \(module).\(name) not allowed in a plain-data pickle")
    }

    func reduce(_ callable: PickleValue, arguments: PickleTuple, at offset: Int) throws(CheckpointError) -> PickleValue {
        throw .at(offset, "REDUCE not allowed in a plain-data pickle")
    }

    func build(_ object: PickleValue, state: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue {
        throw .at(offset, "BUILD not allowed in a plain-data pickle")
    }

    func persistentLoad(_ id: PickleValue, at offset: Int) throws(CheckpointError) -> PickleValue {
        throw .at(offset, "persistent id not allowed in a plain-data pickle")
    }
}
