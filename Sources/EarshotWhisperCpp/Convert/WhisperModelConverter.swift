import Foundation

/// Converts a CTranslate2 Whisper model (what faster-whisper loads) into the ggml file whisper.cpp loads.
///
/// The two hold the same weights under different names: CTranslate2 fuses self-attention's query/key/value
/// into one matrix (key has no bias in Whisper; CTranslate2 stores zeros) and cross-attention's key/value
/// into another, which whisper.cpp wants apart. Matrices stay float16; 1-D tensors, convolution biases and
/// positional embeddings become float32, as whisper.cpp's own converter writes them. The file also carries
/// the mel filter bank and the vocabulary as raw bytes.
public enum WhisperModelConverter {
    /// The shapes of a converted model, as the ggml file's header records them.
    public struct Dimensions: Sendable, Hashable {
        public var vocabularySize: Int
        public var audioContext: Int
        public var audioState: Int
        public var audioHeads: Int
        public var audioLayers: Int
        public var textContext: Int
        public var textState: Int
        public var textHeads: Int
        public var textLayers: Int
        public var melCount: Int
    }

    /// What a conversion wrote.
    public struct Summary: Sendable, Hashable {
        public var dimensions: Dimensions
        public var tensorCount: Int
        public var vocabularyCount: Int
        public var bytes: Int
    }

    /// How the weight matrices are stored.
    public enum Precision: String, Sendable, Hashable, CaseIterable {
        /// As the model ships: float16.
        case float16 = "f16"
        /// 8-bit blocks (ggml q8_0): half the size, and faster on CPUs with integer dot products; what
        /// faster-whisper's `int8` does to the same weights when it loads them.
        case q8_0

        /// The header's `ftype` (ggml's `GGML_FTYPE_MOSTLY_*`).
        var fileType: Int32 { self == .float16 ? 1 : 7 }
    }

    static let magic: UInt32 = 0x6767_6d6c  // "ggml"

    /// Converts the model in `directory` (`model.bin` + `vocabulary.txt`, as pip model packages ship them)
    /// and writes the result to `output` atomically.
    @discardableResult
    public static func convert(modelDirectory directory: URL, output: URL, precision: Precision = .float16) throws -> Summary {
        let modelFile = directory.appendingPathComponent("model.bin")
        guard let data = FileManager.default.contents(atPath: modelFile.path) else {
            throw ModelConversionError.notFound("no model.bin in \(directory.path)")
        }
        return try convert(
            modelBin: data, vocabulary: directory.appendingPathComponent("vocabulary.txt"), output: output, precision: precision
        )
    }

    /// Converts `modelBin` (a CTranslate2 `model.bin`'s bytes) with the vocabulary file beside it.
    @discardableResult
    public static func convert(
        modelBin: Data, vocabulary vocabularyFile: URL, output: URL, precision: Precision = .float16
    ) throws -> Summary {
        let model = try CTranslate2Model(data: modelBin)
        guard model.specName == "WhisperSpec" else {
            throw ModelConversionError.unsupported("\(model.specName) is not a Whisper model")
        }
        guard let vocabularyText = try? String(contentsOf: vocabularyFile, encoding: .utf8) else {
            throw ModelConversionError.notFound("no readable vocabulary at \(vocabularyFile.path)")
        }
        var vocabulary = vocabularyText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if vocabulary.last == "" { vocabulary.removeLast() }

        let dimensions = try readDimensions(model)
        guard vocabulary.count == dimensions.vocabularySize else {
            throw ModelConversionError.malformed("vocabulary has \(vocabulary.count) tokens, the model \(dimensions.vocabularySize)")
        }
        // whisper.cpp takes the ordinary tokens up to and including <|endoftext|> from the file and numbers the
        // special ones (start of transcript, languages, tasks, timestamps) itself.
        guard let endOfText = vocabulary.firstIndex(of: "<|endoftext|>") else {
            throw ModelConversionError.malformed("the vocabulary has no <|endoftext|>")
        }
        let ordinary = vocabulary[...endOfText]

        var file = GGMLFileWriter()
        for value in [
            dimensions.vocabularySize, dimensions.audioContext, dimensions.audioState, dimensions.audioHeads,
            dimensions.audioLayers, dimensions.textContext, dimensions.textState, dimensions.textHeads,
            dimensions.textLayers, dimensions.melCount,
        ] {
            file.append(Int32(value))
        }
        file.append(precision.fileType)
        let binCount = MelFilterBank.fftSize / 2 + 1
        file.append(Int32(dimensions.melCount))
        file.append(Int32(binCount))
        file.append(floats: MelFilterBank.weights(melCount: dimensions.melCount))
        file.append(Int32(ordinary.count))
        for token in ordinary {
            let bytes = ByteLevelVocabulary.bytes(of: token)
            file.append(Int32(bytes.count))
            file.append(bytes: bytes)
        }

        var tensorCount = 0
        for tensor in try tensors(of: model, dimensions: dimensions, quantize: precision == .q8_0) {
            try file.append(tensor)
            tensorCount += 1
        }
        try file.data.write(to: output, options: .atomic)
        return Summary(dimensions: dimensions, tensorCount: tensorCount, vocabularyCount: ordinary.count, bytes: file.data.count)
    }

    static func readDimensions(_ model: CTranslate2Model) throws -> Dimensions {
        func layers(_ prefix: String) -> Int {
            var count = 0
            while model.variables["\(prefix)/layer_\(count)/ffn/linear_0/weight"] != nil { count += 1 }
            return count
        }
        let embeddings = try model.variable("decoder/embeddings/weight").shape
        let audioPositions = try model.variable("encoder/position_encodings/encodings").shape
        let textPositions = try model.variable("decoder/position_encodings/encodings").shape
        let conv1 = try model.variable("encoder/conv1/weight").shape
        guard embeddings.count == 2, audioPositions.count == 2, textPositions.count == 2, conv1.count == 3 else {
            throw ModelConversionError.malformed("unexpected embedding or convolution shapes")
        }
        return Dimensions(
            vocabularySize: embeddings[0], audioContext: audioPositions[0], audioState: audioPositions[1],
            audioHeads: try model.integer("encoder/num_heads"), audioLayers: layers("encoder"),
            textContext: textPositions[0], textState: textPositions[1],
            textHeads: try model.integer("decoder/num_heads"), textLayers: layers("decoder"), melCount: conv1[1]
        )
    }

    /// Every tensor whisper.cpp expects, in its names, from the CTranslate2 variables.
    static func tensors(of model: CTranslate2Model, dimensions: Dimensions, quantize: Bool) throws -> [GGMLTensor] {
        var tensors: [GGMLTensor] = []
        func add(_ name: String, _ source: String, keepHalf: Bool? = nil, shape: [Int]? = nil) throws {
            tensors.append(try GGMLTensor(name: name, variable: model.variable(source), keepHalf: keepHalf, shape: shape, quantize: quantize))
        }
        func addLinear(_ name: String, _ source: String, bias: Bool = true) throws {
            try add("\(name).weight", "\(source)/weight")
            if bias { try add("\(name).bias", "\(source)/bias") }
        }
        func addLayerNorm(_ name: String, _ source: String) throws {
            try add("\(name).weight", "\(source)/gamma")
            try add("\(name).bias", "\(source)/beta")
        }
        /// Splits a fused projection into `names.count` equal parts along its output rows.
        func addSplit(_ names: [String?], _ source: String) throws {
            let weight = try model.variable("\(source)/weight").rowSlices(names.count)
            let bias = try model.variable("\(source)/bias").rowSlices(names.count)
            for (index, name) in names.enumerated() {
                guard let name else { continue }
                tensors.append(try GGMLTensor(name: "\(name).weight", variable: weight[index], quantize: quantize))
                if name.hasSuffix(".key") {
                    // Whisper's key projections have no bias; a non-zero one would be lost, so refuse it.
                    guard bias[index].bytes.allSatisfy({ $0 == 0 }) else {
                        throw ModelConversionError.unsupported("\(source) has a non-zero key bias")
                    }
                } else {
                    tensors.append(try GGMLTensor(name: "\(name).bias", variable: bias[index], quantize: quantize))
                }
            }
        }

        try add("encoder.positional_embedding", "encoder/position_encodings/encodings", keepHalf: false)
        try add("encoder.conv1.weight", "encoder/conv1/weight")
        try add("encoder.conv1.bias", "encoder/conv1/bias", keepHalf: false, shape: [dimensions.audioState, 1])
        try add("encoder.conv2.weight", "encoder/conv2/weight")
        try add("encoder.conv2.bias", "encoder/conv2/bias", keepHalf: false, shape: [dimensions.audioState, 1])
        /// A block's self-attention; `between` adds what comes before its feed-forward part (the decoder's
        /// cross-attention).
        func addBlock(_ name: String, _ source: String, between: () throws -> Void = {}) throws {
            try addLayerNorm("\(name).attn_ln", "\(source)/self_attention/layer_norm")
            try addSplit(["\(name).attn.query", "\(name).attn.key", "\(name).attn.value"], "\(source)/self_attention/linear_0")
            try addLinear("\(name).attn.out", "\(source)/self_attention/linear_1")
            try between()
            try addLayerNorm("\(name).mlp_ln", "\(source)/ffn/layer_norm")
            try addLinear("\(name).mlp.0", "\(source)/ffn/linear_0")
            try addLinear("\(name).mlp.2", "\(source)/ffn/linear_1")
        }
        for layer in 0..<dimensions.audioLayers {
            try addBlock("encoder.blocks.\(layer)", "encoder/layer_\(layer)")
        }
        try addLayerNorm("encoder.ln_post", "encoder/layer_norm")

        try add("decoder.positional_embedding", "decoder/position_encodings/encodings", keepHalf: false)
        try add("decoder.token_embedding.weight", "decoder/embeddings/weight")
        for layer in 0..<dimensions.textLayers {
            let source = "decoder/layer_\(layer)"
            let name = "decoder.blocks.\(layer)"
            try addBlock(name, source) {
                try addLayerNorm("\(name).cross_attn_ln", "\(source)/attention/layer_norm")
                try addLinear("\(name).cross_attn.query", "\(source)/attention/linear_0")
                try addSplit(["\(name).cross_attn.key", "\(name).cross_attn.value"], "\(source)/attention/linear_1")
                try addLinear("\(name).cross_attn.out", "\(source)/attention/linear_2")
            }
        }
        try addLayerNorm("decoder.ln", "decoder/layer_norm")
        return tensors
    }
}

extension CTranslate2Model.Variable {
    /// The variable cut into `parts` equal blocks of rows (its first dimension).
    func rowSlices(_ parts: Int) throws -> [CTranslate2Model.Variable] {
        guard let rows = shape.first, rows % parts == 0 else {
            throw ModelConversionError.malformed("cannot split shape \(shape) into \(parts)")
        }
        var partShape = shape
        partShape[0] = rows / parts
        let partBytes = bytes.count / parts
        return (0..<parts).map { part in
            let start = bytes.startIndex + part * partBytes
            return CTranslate2Model.Variable(shape: partShape, type: type, bytes: bytes[start..<start + partBytes])
        }
    }
}
