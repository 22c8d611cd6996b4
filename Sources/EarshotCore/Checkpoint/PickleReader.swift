/// A minimal pickle machine for protocols 0–3 that builds an inert value tree.
///
/// It supports the plain-data opcodes (numbers, strings, bytes, tuples, lists, dicts, MARK
/// and memo operations) and delegates GLOBAL, REDUCE, BUILD and BINPERSID to a
/// `PickleResolver`. All resource use is bounded so that hostile input can only fail.
struct PickleReader<Resolver: PickleResolver> {
    /// Real checkpoints nest about 8 levels deep; the bound keeps recursive deinit shallow.
    static var maxDepth: Int { 100 }
    /// Pickle batches SETITEMS/APPENDS in groups of 1000, so real stacks stay tiny.
    static var maxStackCount: Int { 1 << 20 }
    static var maxMemoCount: Int { 1 << 20 }

    private var reader: ByteReader
    private var resolver: Resolver
    private var stack: [PickleValue] = []
    /// Start of the innermost MARK frame; values below it are not reachable, as in CPython.
    private var frameStart = 0
    private var savedFrameStarts: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Offset of the opcode being executed, for error messages.
    private var opcodeOffset = 0

    /// Runs the pickle that starts at `reader.position` and leaves `reader` just past its STOP,
    /// which is where the next pickle (or the raw storage data) of a torch file begins.
    static func load(from reader: inout ByteReader, resolver: inout Resolver) throws(CheckpointError) -> PickleValue {
        var machine = PickleReader(reader: reader, resolver: resolver)
        let value = try machine.run()
        reader = machine.reader
        resolver = machine.resolver
        return value
    }

    private init(reader: ByteReader, resolver: Resolver) {
        self.reader = reader
        self.resolver = resolver
    }

    // MARK: - Main loop

    private mutating func run() throws(CheckpointError) -> PickleValue {
        while true {
            opcodeOffset = reader.position
            let opcode = try reader.readUInt8("pickle opcode (missing STOP)")
            switch opcode {
            case Opcode.stop:
                return try pop()
            case Opcode.proto:
                let version = try reader.readUInt8("PROTO version")
                guard version <= 3 else { throw error("pickle protocol \(version) not supported (only 0–3)") }

            // Stack and MARK management.
            case Opcode.mark:
                try ensureCapacity()
                savedFrameStarts.append(frameStart)
                frameStart = stack.count
            case Opcode.pop:
                if stack.count > frameStart { stack.removeLast() } else { _ = try popMark() }
            case Opcode.popMark:
                _ = try popMark()
            case Opcode.dup:
                try push(try top())

            // Scalars.
            case Opcode.none: try push(.none)
            case Opcode.newTrue: try push(.bool(true))
            case Opcode.newFalse: try push(.bool(false))
            case Opcode.binInt1: try push(.int(Int64(try reader.readUInt8("BININT1"))))
            case Opcode.binInt2: try push(.int(Int64(try reader.readUInt16LE("BININT2"))))
            case Opcode.binInt: try push(.int(Int64(try reader.readInt32LE("BININT"))))
            case Opcode.long1:
                let count = Int(try reader.readUInt8("LONG1 length"))
                try push(Self.integer(littleEndian: try reader.readBytes(count, "LONG1")))
            case Opcode.long4:
                let count = try length(Int64(try reader.readInt32LE("LONG4 length")), "LONG4")
                try push(Self.integer(littleEndian: try reader.readBytes(count, "LONG4")))
            case Opcode.int:
                try push(try textInteger(allowBool: true, "INT"))
            case Opcode.long:
                try push(try textInteger(allowBool: false, "LONG"))
            case Opcode.binFloat: try push(.float(try reader.readFloat64BE("BINFLOAT")))
            case Opcode.float:
                let line = try reader.readLine("FLOAT")
                guard let value = Double(String(decoding: line, as: UTF8.self)) else {
                    throw error("FLOAT is not a number")
                }
                try push(.float(value))

            // Strings and bytes. Python-2 `str` (BINSTRING) is decoded as UTF-8, as torch.load does.
            case Opcode.binUnicode:
                let count = try length(Int64(try reader.readUInt32LE("BINUNICODE length")), "BINUNICODE")
                try push(.string(try utf8(try reader.readBytes(count, "BINUNICODE"))))
            case Opcode.binString:
                let count = try length(Int64(try reader.readInt32LE("BINSTRING length")), "BINSTRING")
                try push(.string(try utf8(try reader.readBytes(count, "BINSTRING"))))
            case Opcode.shortBinString:
                let count = Int(try reader.readUInt8("SHORT_BINSTRING length"))
                try push(.string(try utf8(try reader.readBytes(count, "SHORT_BINSTRING"))))
            case Opcode.binBytes:
                let count = try length(Int64(try reader.readUInt32LE("BINBYTES length")), "BINBYTES")
                try push(.bytes(Array(try reader.readBytes(count, "BINBYTES"))))
            case Opcode.shortBinBytes:
                let count = Int(try reader.readUInt8("SHORT_BINBYTES length"))
                try push(.bytes(Array(try reader.readBytes(count, "SHORT_BINBYTES"))))

            // Tuples.
            case Opcode.emptyTuple: try push(.tuple(PickleTuple([])))
            case Opcode.tuple1: try push(try makeTuple(try popItems(1)))
            case Opcode.tuple2: try push(try makeTuple(try popItems(2)))
            case Opcode.tuple3: try push(try makeTuple(try popItems(3)))
            case Opcode.tuple: try push(try makeTuple(try popMark()))

            // Lists.
            case Opcode.emptyList: try push(.list(PickleList()))
            case Opcode.list:
                let items = try popMark()
                let list = PickleList()
                try push(.list(list))
                try append(items, to: .list(list))
            case Opcode.append:
                let item = try pop()
                try append([item], to: try top())
            case Opcode.appends:
                let items = try popMark()
                try append(items, to: try top())

            // Dictionaries.
            case Opcode.emptyDict: try push(.dict(PickleDict()))
            case Opcode.dict:
                let items = try popMark()
                let dict = PickleDict()
                try push(.dict(dict))
                try setItems(items, in: .dict(dict))
            case Opcode.setItem:
                let value = try pop()
                let key = try pop()
                try setItems([key, value], in: try top())
            case Opcode.setItems:
                let items = try popMark()
                try setItems(items, in: try top())

            // Memo.
            case Opcode.binPut: try memoize(Int(try reader.readUInt8("BINPUT index")))
            case Opcode.longBinPut: try memoize(Int(try reader.readUInt32LE("LONG_BINPUT index")))
            case Opcode.put: try memoize(try textIndex("PUT"))
            case Opcode.binGet: try push(try memoValue(Int(try reader.readUInt8("BINGET index"))))
            case Opcode.longBinGet: try push(try memoValue(Int(try reader.readUInt32LE("LONG_BINGET index"))))
            case Opcode.get: try push(try memoValue(try textIndex("GET")))

            // Everything that is not plain data goes through the resolver.
            case Opcode.global:
                let module = try utf8(try reader.readLine("GLOBAL module"))
                let name = try utf8(try reader.readLine("GLOBAL name"))
                try push(try resolver.global(module: module, name: name, at: opcodeOffset))
            case Opcode.reduce:
                let arguments = try pop()
                let callable = try pop()
                guard case .tuple(let tuple) = arguments else {
                    throw error("REDUCE arguments must be a tuple, got \(arguments.kindName)")
                }
                try push(try resolver.reduce(callable, arguments: tuple, at: opcodeOffset))
            case Opcode.build:
                let state = try pop()
                let object = try pop()
                state.seal()
                try push(try resolver.build(object, state: state, at: opcodeOffset))
            case Opcode.binPersid:
                let id = try pop()
                id.seal()
                try push(try resolver.persistentLoad(id, at: opcodeOffset))

            default:
                let printable = (0x21...0x7E).contains(opcode) ? " '\(Character(Unicode.Scalar(opcode)))'" : ""
                throw error("unsupported pickle opcode 0x\(String(opcode, radix: 16))\(printable)")
            }
        }
    }

    // MARK: - Stack

    private func error(_ message: String) -> CheckpointError {
        .at(opcodeOffset, message)
    }

    private func ensureCapacity() throws(CheckpointError) {
        guard stack.count + savedFrameStarts.count < Self.maxStackCount else {
            throw error("pickle stack exceeds \(Self.maxStackCount) entries")
        }
    }

    private mutating func push(_ value: PickleValue) throws(CheckpointError) {
        try ensureCapacity()
        stack.append(value)
    }

    private mutating func pop() throws(CheckpointError) -> PickleValue {
        guard stack.count > frameStart, let value = stack.popLast() else {
            throw error("pickle stack underflow")
        }
        return value
    }

    private func top() throws(CheckpointError) -> PickleValue {
        guard stack.count > frameStart, let value = stack.last else {
            throw error("pickle stack underflow")
        }
        return value
    }

    private mutating func popItems(_ count: Int) throws(CheckpointError) -> [PickleValue] {
        guard stack.count - frameStart >= count else { throw error("pickle stack underflow") }
        let items = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return items
    }

    /// Removes and returns everything above the innermost MARK.
    private mutating func popMark() throws(CheckpointError) -> [PickleValue] {
        guard let outer = savedFrameStarts.popLast() else { throw error("no MARK on the pickle stack") }
        let items = Array(stack[frameStart...])
        stack.removeSubrange(frameStart...)
        frameStart = outer
        return items
    }

    // MARK: - Containers

    private func checkDepth(_ depth: Int) throws(CheckpointError) {
        guard depth <= Self.maxDepth else { throw error("values nested deeper than \(Self.maxDepth)") }
    }

    private func makeTuple(_ items: [PickleValue]) throws(CheckpointError) -> PickleValue {
        for item in items { item.seal() }
        let tuple = PickleTuple(items)
        try checkDepth(tuple.depth)
        return .tuple(tuple)
    }

    private func append(_ items: [PickleValue], to target: PickleValue) throws(CheckpointError) {
        guard case .list(let list) = target else {
            throw error("APPEND target must be a list, got \(target.kindName)")
        }
        // Sealing the items first makes appending a list to itself fail the check below.
        for item in items { item.seal() }
        guard !list.isSealed else { throw error("list modified after being stored in another value") }
        let depth = max(list.depth, (items.lazy.map(\.depth).max() ?? 0) + 1)
        try checkDepth(depth)
        list.depth = depth
        list.items.append(contentsOf: items)
    }

    /// `items` alternates keys and values, as SETITEMS leaves them on the stack.
    private func setItems(_ items: [PickleValue], in target: PickleValue) throws(CheckpointError) {
        guard case .dict(let dict) = target else {
            throw error("SETITEM target must be a dict, got \(target.kindName)")
        }
        guard items.count.isMultiple(of: 2) else { throw error("SETITEMS with an odd number of items") }
        var depth = dict.depth
        for item in items {
            item.seal()
            depth = max(depth, item.depth + 1)
        }
        guard !dict.isSealed else { throw error("dict modified after being stored in another value") }
        try checkDepth(depth)
        dict.depth = depth
        dict.entries.reserveCapacity(dict.entries.count + items.count / 2)
        var index = 0
        while index + 1 < items.count {
            let key = items[index]
            switch key {
            case .list, .dict: throw error("unhashable dict key (\(key.kindName))")
            default: break
            }
            dict.entries.append((key: key, value: items[index + 1]))
            index += 2
        }
    }

    // MARK: - Memo

    private mutating func memoize(_ index: Int) throws(CheckpointError) {
        let value = try top()
        guard memo.count < Self.maxMemoCount || memo[index] != nil else {
            throw error("pickle memo exceeds \(Self.maxMemoCount) entries")
        }
        memo[index] = value
    }

    private func memoValue(_ index: Int) throws(CheckpointError) -> PickleValue {
        guard let value = memo[index] else { throw error("memo index \(index) was never stored") }
        return value
    }

    // MARK: - Decoding helpers

    /// Validates a length field against the bytes that are actually left, before any allocation.
    private func length(_ count: Int64, _ what: String) throws(CheckpointError) -> Int {
        guard count >= 0, count <= Int64(reader.remaining) else {
            throw error("\(what) claims \(count) bytes, \(reader.remaining) left")
        }
        return Int(count)
    }

    private func utf8(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else { throw error("invalid UTF-8 text") }
        return string
    }

    /// INT and LONG of protocol 0: decimal text; INT also spells booleans as `00` / `01`.
    private mutating func textInteger(allowBool: Bool, _ what: String) throws(CheckpointError) -> PickleValue {
        var text = Array(try reader.readLine(what))
        if allowBool, text == Array("00".utf8) { return .bool(false) }
        if allowBool, text == Array("01".utf8) { return .bool(true) }
        if !allowBool, text.last == UInt8(ascii: "L") { text.removeLast() }
        guard let value = Self.decimal(text) else { throw error("\(what) is not a 64-bit decimal integer") }
        return .int(value)
    }

    private mutating func textIndex(_ what: String) throws(CheckpointError) -> Int {
        guard let value = Self.decimal(Array(try reader.readLine(what))), value >= 0, let index = Int(exactly: value) else {
            throw error("\(what) index is not a non-negative decimal integer")
        }
        return index
    }

    /// Parses `[+-]digits` with overflow checks; nil for anything else.
    static func decimal(_ text: [UInt8]) -> Int64? {
        var digits = text[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let delta = Int64(digit - UInt8(ascii: "0"))
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(delta) : shifted.addingReportingOverflow(delta)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// Decodes LONG1/LONG4 payloads: little-endian two's complement of any width.
    static func integer(littleEndian bytes: UnsafeRawBufferPointer) -> PickleValue {
        var trimmed = bytes.count
        // Drop redundant sign-extension bytes so that equal numbers compare equal.
        while trimmed > 1 {
            let last = bytes[trimmed - 1]
            let signOfNext = bytes[trimmed - 2] & 0x80
            guard (last == 0x00 && signOfNext == 0) || (last == 0xFF && signOfNext != 0) else { break }
            trimmed -= 1
        }
        guard trimmed <= 8 else { return .bigInt(Array(bytes[0..<trimmed])) }
        guard trimmed > 0 else { return .int(0) }
        var bits: UInt64 = 0
        for index in stride(from: trimmed - 1, through: 0, by: -1) {
            bits = bits << 8 | UInt64(bytes[index])
        }
        let unused = UInt64(64 - 8 * trimmed)
        return .int(Int64(bitPattern: bits << unused) >> unused)
    }
}

/// Opcode bytes, named as in CPython's `pickletools`.
private enum Opcode {
    static let mark = UInt8(ascii: "(")
    static let stop = UInt8(ascii: ".")
    static let pop = UInt8(ascii: "0")
    static let popMark = UInt8(ascii: "1")
    static let dup = UInt8(ascii: "2")
    static let float = UInt8(ascii: "F")
    static let int = UInt8(ascii: "I")
    static let binInt = UInt8(ascii: "J")
    static let binInt1 = UInt8(ascii: "K")
    static let long = UInt8(ascii: "L")
    static let binInt2 = UInt8(ascii: "M")
    static let none = UInt8(ascii: "N")
    static let binPersid = UInt8(ascii: "Q")
    static let reduce = UInt8(ascii: "R")
    static let binString = UInt8(ascii: "T")
    static let shortBinString = UInt8(ascii: "U")
    static let binUnicode = UInt8(ascii: "X")
    static let append = UInt8(ascii: "a")
    static let build = UInt8(ascii: "b")
    static let global = UInt8(ascii: "c")
    static let dict = UInt8(ascii: "d")
    static let emptyDict = UInt8(ascii: "}")
    static let appends = UInt8(ascii: "e")
    static let get = UInt8(ascii: "g")
    static let binGet = UInt8(ascii: "h")
    static let longBinGet = UInt8(ascii: "j")
    static let list = UInt8(ascii: "l")
    static let emptyList = UInt8(ascii: "]")
    static let put = UInt8(ascii: "p")
    static let binPut = UInt8(ascii: "q")
    static let longBinPut = UInt8(ascii: "r")
    static let setItem = UInt8(ascii: "s")
    static let tuple = UInt8(ascii: "t")
    static let emptyTuple = UInt8(ascii: ")")
    static let setItems = UInt8(ascii: "u")
    static let binFloat = UInt8(ascii: "G")
    static let proto: UInt8 = 0x80
    static let tuple1: UInt8 = 0x85
    static let tuple2: UInt8 = 0x86
    static let tuple3: UInt8 = 0x87
    static let newTrue: UInt8 = 0x88
    static let newFalse: UInt8 = 0x89
    static let long1: UInt8 = 0x8A
    static let long4: UInt8 = 0x8B
    static let binBytes = UInt8(ascii: "B")
    static let shortBinBytes = UInt8(ascii: "C")
}
