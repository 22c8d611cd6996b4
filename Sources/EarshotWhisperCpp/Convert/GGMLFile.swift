import Foundation

/// One tensor as a ggml Whisper file stores it: float16 or float32 data under whisper.cpp's name.
struct GGMLTensor {
    /// ggml's type numbers for the three element types Earshot writes.
    enum ElementType: Int32 {
        case float32 = 0
        case float16 = 1
        case q8_0 = 8
    }

    var name: String
    /// Outermost dimension first (as PyTorch and CTranslate2 list them); the file stores them reversed.
    var shape: [Int]
    var type: ElementType
    var data: Data

    /// `keepHalf` nil: matrices stay float16, 1-D tensors become float32 (whisper.cpp's rule). With `quantize`,
    /// 2-D matrices become q8_0 (whisper.cpp then loads every matrix but the convolutions as q8_0).
    init(name: String, variable: CTranslate2Model.Variable, keepHalf: Bool? = nil, shape: [Int]? = nil, quantize: Bool = false) throws {
        self.name = name
        self.shape = shape ?? variable.shape
        guard self.shape.reduce(1, *) == variable.elementCount else {
            throw ModelConversionError.malformed("\(name): shape \(self.shape) does not fit \(variable.shape)")
        }
        let half = keepHalf ?? (variable.shape.count >= 2)
        if quantize, half, self.shape.count == 2 {
            type = .q8_0
            data = try Q8Quantizer.quantize(variable, name: name)
            return
        }
        type = half ? .float16 : .float32
        switch (variable.type, half) {
        case (.float16, true), (.float32, false):
            data = Data(variable.bytes)
        case (.float16, false):
            data = try variable.floats().withUnsafeBytes { Data($0) }
        case (.float32, true):
            data = try variable.floats().map { Float16($0).bitPattern }.withUnsafeBytes { Data($0) }
        default:
            throw ModelConversionError.unsupported("\(name) is \(variable.type); only float16/float32 models convert (not quantized ones)")
        }
    }
}

/// Builds a ggml Whisper file in memory, little-endian as every platform whisper.cpp runs on.
struct GGMLFileWriter {
    private(set) var data = Data()

    init() {
        append(Int32(bitPattern: WhisperModelConverter.magic))
    }

    mutating func append(_ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    mutating func append(floats: [Float]) {
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
    }

    mutating func append(bytes: [UInt8]) {
        data.append(contentsOf: bytes)
    }

    mutating func append(_ tensor: GGMLTensor) throws {
        let name = Array(tensor.name.utf8)
        append(Int32(tensor.shape.count))
        append(Int32(name.count))
        append(tensor.type.rawValue)
        for dimension in tensor.shape.reversed() { append(Int32(dimension)) }
        append(bytes: name)
        data.append(tensor.data)
    }
}
