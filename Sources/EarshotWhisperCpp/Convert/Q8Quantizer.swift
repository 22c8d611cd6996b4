import Foundation

/// ggml's q8_0 format: blocks of 32 values along a row, each a float16 scale and 32 signed bytes
/// (value ≈ scale × byte). Halves a float16 model's size, and CPUs multiply it with integer dot products.
enum Q8Quantizer {
    static let blockSize = 32

    /// Quantizes a float16 or float32 matrix whose rows are a multiple of 32 long, as ggml's reference
    /// `quantize_row_q8_0` does (scale = max |x| / 127, values rounded half away from zero).
    static func quantize(_ variable: CTranslate2Model.Variable, name: String) throws -> Data {
        guard let rowLength = variable.shape.last, rowLength % blockSize == 0 else {
            throw ModelConversionError.unsupported("\(name): rows of \(variable.shape.last ?? 0) values do not split into blocks of 32")
        }
        let values = try variable.floats()
        var output = Data(capacity: values.count / blockSize * (2 + blockSize))
        var block = [UInt8](repeating: 0, count: 2 + blockSize)
        for start in stride(from: 0, to: values.count, by: blockSize) {
            var largest: Float = 0
            for index in start..<start + blockSize { largest = max(largest, abs(values[index])) }
            let scale = largest / 127
            let inverse: Float = scale == 0 ? 0 : 1 / scale
            let scaleBits = Float16(scale).bitPattern
            block[0] = UInt8(scaleBits & 0xFF)
            block[1] = UInt8(scaleBits >> 8)
            for offset in 0..<blockSize {
                block[2 + offset] = UInt8(bitPattern: Int8((values[start + offset] * inverse).rounded()))
            }
            output.append(contentsOf: block)
        }
        return output
    }
}
