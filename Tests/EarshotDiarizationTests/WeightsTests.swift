@testable import EarshotDiarization
import Testing

struct WeightsTests {
    static func tensors() throws -> [String: (shape: [Int], values: [Float])] {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for layer in 0..<3 {
            let input = layer == 0 ? 40 : 256
            tensors["lstm.weight_ih_l\(layer)"] = ([1024, input], [Float](repeating: 0.01, count: 1024 * input))
            tensors["lstm.weight_hh_l\(layer)"] = ([1024, 256], [Float](repeating: 0.01, count: 1024 * 256))
            tensors["lstm.bias_ih_l\(layer)"] = ([1024], [Float](repeating: 0, count: 1024))
            tensors["lstm.bias_hh_l\(layer)"] = ([1024], [Float](repeating: 0, count: 1024))
        }
        tensors["linear.weight"] = ([256, 256], [Float](repeating: 0.01, count: 256 * 256))
        tensors["linear.bias"] = ([256], [Float](repeating: 0, count: 256))
        return tensors
    }

    @Test func acceptsCompleteTensors() throws {
        _ = try VoiceEncoderWeights(tensors: Self.tensors())
    }

    @Test func namesAMissingTensor() throws {
        var tensors = try Self.tensors()
        tensors["lstm.weight_hh_l1"] = nil
        #expect(throws: DiarizationError("voice encoder weights: missing tensor lstm.weight_hh_l1")) {
            try VoiceEncoderWeights(tensors: tensors)
        }
    }

    @Test func namesAWrongShape() throws {
        var tensors = try Self.tensors()
        tensors["linear.weight"] = ([128, 256], [Float](repeating: 0, count: 128 * 256))
        let error = #expect(throws: DiarizationError.self) { try VoiceEncoderWeights(tensors: tensors) }
        #expect(error?.description.contains("linear.weight") == true)
        #expect(error?.description.contains("[128, 256]") == true)
    }

    @Test func rejectsAValueCountThatDoesNotMatchTheShape() throws {
        var tensors = try Self.tensors()
        tensors["linear.bias"] = ([256], [Float](repeating: 0, count: 255))
        #expect(throws: DiarizationError.self) { try VoiceEncoderWeights(tensors: tensors) }
    }
}
