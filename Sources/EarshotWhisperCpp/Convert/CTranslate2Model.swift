import Foundation

/// A CTranslate2 model file (`model.bin`) read into memory: its named variables with shapes and raw bytes.
///
/// The format is CTranslate2's own (`ctranslate2/specs/model_spec.py`, binary version 6): a header, then
/// each variable as name, rank, dimensions, dtype and bytes, then aliases (names that share another's data).
struct CTranslate2Model {
    enum DataType: UInt8 {
        case float32 = 0, int8, int16, int32, float16, bfloat16

        var byteWidth: Int {
            switch self {
            case .int8: 1
            case .int16, .float16, .bfloat16: 2
            case .float32, .int32: 4
            }
        }
    }

    struct Variable {
        var shape: [Int]
        var type: DataType
        var bytes: Data

        var elementCount: Int { shape.reduce(1, *) }

        /// The values of a float16 or float32 variable, as Float.
        func floats() throws -> [Float] {
            switch type {
            case .float16:
                return bytes.withUnsafeBytes { raw in
                    (0..<raw.count / 2).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
                }
            case .float32:
                return bytes.withUnsafeBytes { raw in
                    (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
                }
            default:
                throw ModelConversionError.unsupported("a \(type) variable has no float values (a quantized model)")
            }
        }
    }

    var specName: String
    var variables: [String: Variable]

    /// Reads `data` (the whole file).
    init(data: Data) throws {
        var reader = BinaryReader(data: data)
        let version = try reader.read(UInt32.self)
        guard (5...6).contains(version) else {
            throw ModelConversionError.unsupported("CTranslate2 binary version \(version) (expected 5 or 6)")
        }
        specName = try reader.readString()
        _ = try reader.read(UInt32.self)  // the spec's revision
        let count = try reader.read(UInt32.self)
        var variables: [String: Variable] = [:]
        for _ in 0..<count {
            let name = try reader.readString()
            let rank = Int(try reader.read(UInt8.self))
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try reader.read(UInt32.self))) }
            let typeID = try reader.read(UInt8.self)
            guard let type = DataType(rawValue: typeID) else {
                throw ModelConversionError.unsupported("variable \(name) has unknown dtype \(typeID)")
            }
            let byteCount = Int(try reader.read(UInt32.self))
            let bytes = try reader.readBytes(byteCount)
            guard bytes.count == shape.reduce(1, *) * type.byteWidth else {
                throw ModelConversionError.malformed("variable \(name): \(bytes.count) bytes for shape \(shape) of \(type)")
            }
            variables[name] = Variable(shape: shape, type: type, bytes: bytes)
        }
        let aliasCount = reader.isAtEnd ? 0 : try reader.read(UInt32.self)
        for _ in 0..<aliasCount {
            let alias = try reader.readString()
            let target = try reader.readString()
            if let variable = variables[target] { variables[alias] = variable }
        }
        self.variables = variables
    }

    func variable(_ name: String) throws -> Variable {
        guard let variable = variables[name] else { throw ModelConversionError.malformed("the model has no variable \(name)") }
        return variable
    }

    /// A scalar integer variable (CTranslate2 stores settings such as `num_heads` this way).
    func integer(_ name: String) throws -> Int {
        let variable = try variable(name)
        switch variable.type {
        case .int8: return Int(Int8(bitPattern: variable.bytes[variable.bytes.startIndex]))
        case .int16: return Int(variable.bytes.withUnsafeBytes { $0.loadUnaligned(as: Int16.self) })
        case .int32: return Int(variable.bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
        default: throw ModelConversionError.malformed("\(name) is not an integer")
        }
    }
}

/// Why a model could not be converted.
public enum ModelConversionError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(String)
    case unsupported(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .notFound(let message): "model not found: \(message)"
        case .unsupported(let message): "unsupported model: \(message)"
        case .malformed(let message): "malformed model: \(message)"
        }
    }
}

/// Little-endian reads from a byte buffer, failing (not trapping) when the buffer is too short.
struct BinaryReader {
    let data: Data
    private(set) var offset: Int

    init(data: Data) {
        self.data = data
        offset = data.startIndex
    }

    var isAtEnd: Bool { offset >= data.endIndex }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let bytes = try readBytes(MemoryLayout<T>.size)
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
    }

    mutating func readBytes(_ count: Int) throws -> Data {
        guard count >= 0, data.endIndex - offset >= count else {
            throw ModelConversionError.malformed("the file ends early (wanted \(count) bytes at \(offset - data.startIndex))")
        }
        defer { offset += count }
        return data[offset..<offset + count]
    }

    /// A UInt16 length (counting a trailing NUL), then the bytes.
    mutating func readString() throws -> String {
        let length = Int(try read(UInt16.self))
        let bytes = try readBytes(length)
        return String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
