/// A value produced by the pickle machine.
///
/// Lists and dictionaries are reference types because pickle mutates them after they are
/// memoized (EMPTY_DICT, BINPUT, …, SETITEMS), and every memo reference must observe that.
/// Anything that is not plain data is an `object`, created only by a `PickleResolver`.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// A two's complement little-endian integer too wide for `Int64`, in canonical (shortest) form.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    indirect case object(TorchObject)

    /// Nesting depth, tracked so that deinitialising (which recurses) and any later
    /// traversal stay within a bounded stack.
    var depth: Int {
        switch self {
        case .none, .bool, .int, .bigInt, .float, .string, .bytes: 0
        case .tuple(let tuple): tuple.depth
        case .list(let list): list.depth
        case .dict(let dict): dict.depth
        case .object: 1
        }
    }

    /// Marks a mutable container as owned by another value.
    ///
    /// Mutating a container after it has been placed inside another is the only way to build
    /// a cycle or to deepen a value behind its parent's back, and real pickles never do it
    /// (children are complete before the parent's SETITEMS/APPENDS), so it is rejected.
    func seal() {
        switch self {
        case .list(let list): list.isSealed = true
        case .dict(let dict): dict.isSealed = true
        default: break
        }
    }

    /// A short description for error messages; never recursive, so it is safe on any value.
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string(let string): "str '\(string.prefix(40))'"
        case .bytes: "bytes"
        case .tuple(let tuple): "tuple of \(tuple.items.count)"
        case .list: "list"
        case .dict: "dict"
        case .object(let object): object.kindName
        }
    }
}

/// An immutable tuple; its depth is computed once at construction.
struct PickleTuple {
    let items: [PickleValue]
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        depth = (items.lazy.map(\.depth).max() ?? 0) + 1
    }
}

/// A list that is filled by APPEND(S) while it is still unsealed.
final class PickleList {
    var items: [PickleValue] = []
    var depth = 1
    var isSealed = false
}

/// A dictionary that preserves insertion order, as both `dict` and `OrderedDict` do.
///
/// Entries are kept as pairs rather than hashed: keys can be any hashable pickle value, and
/// the torch layer only needs ordered iteration plus a few lookups.
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    var isSealed = false

    /// The value of the last entry whose key is the string `key`, as Python's overwrite rule gives.
    func value(forStringKey key: String) -> PickleValue? {
        for entry in entries.reversed() {
            if case .string(let candidate) = entry.key, candidate == key {
                return entry.value
            }
        }
        return nil
    }
}
