/// The Resemblyzer voice encoder's weights (3-layer LSTM 40→256, linear 256→256).
///
/// Stored in the layout the batched encoder multiplies with: per layer one row-major
/// (input + 256)×1024 matrix [W_ih | W_hh]ᵀ, the two PyTorch biases summed, and the input, forget
/// and output gate columns pre-scaled by 0.5 so that one tanh serves all four gates
/// (σ(a) = 0.5 + 0.5·tanh(a/2)).
public struct VoiceEncoderWeights: Sendable {
    /// Hidden size of every LSTM layer and size of the embedding.
    static let hiddenSize = 256
    /// Mel bands fed to the first layer.
    static let inputSize = 40
    /// Gate rows per layer, PyTorch order i, f, g, o.
    static let gateSize = 4 * hiddenSize

    /// One LSTM layer, ready for `[x | h] · matrix`; offsets index `parameters`.
    struct Layer: Sendable {
        /// Width of the layer's input x (40 or 256).
        var inputSize: Int
        /// Row-major (inputSize + 256) × 1024: rows of W_ihᵀ then W_hhᵀ, gate-scaled.
        var matrixOffset: Int
        /// b_ih + b_hh, gate-scaled (1024).
        var biasOffset: Int
    }

    /// Every parameter in one buffer, so the encoder's hot loop needs a single pointer.
    var parameters: [Float]
    /// The three LSTM layers, bottom first.
    var layers: [Layer]
    /// Row-major 256×256 linear.weightᵀ, so that embedding = h · linearᵀ + bias.
    var linearOffset: Int
    /// linear.bias (256).
    var linearBiasOffset: Int

    /// From named float32 tensors as a checkpoint holds them ("lstm.weight_ih_l0", …, "linear.bias");
    /// throws DiarizationError naming a missing tensor or a wrong shape.
    ///
    /// Extra tensors (e.g. the GE2E `similarity_weight`/`similarity_bias`) are ignored.
    public init(tensors: [String: (shape: [Int], values: [Float])]) throws(DiarizationError) {
        let hidden = Self.hiddenSize
        let gates = Self.gateSize

        func tensor(_ name: String, _ shape: [Int]) throws(DiarizationError) -> [Float] {
            guard let found = tensors[name] else {
                throw DiarizationError("voice encoder weights: missing tensor \(name)")
            }
            guard found.shape == shape else {
                throw DiarizationError("voice encoder weights: \(name) has shape \(found.shape), expected \(shape)")
            }
            guard found.values.count == shape.reduce(1, *) else {
                throw DiarizationError(
                    "voice encoder weights: \(name) holds \(found.values.count) values for shape \(shape)")
            }
            guard found.values.allSatisfy(\.isFinite) else {
                throw DiarizationError("voice encoder weights: \(name) contains NaN or infinity")
            }
            return found.values
        }

        // i, f, o columns × 0.5 (sigmoid through tanh), g columns unscaled.
        let gateScale: [Float] = (0..<gates).map { (2 * hidden..<3 * hidden).contains($0) ? 1 : 0.5 }

        var parameters: [Float] = []
        var layers: [Layer] = []
        for index in 0..<3 {
            let inputSize = index == 0 ? Self.inputSize : hidden
            let weightIH = try tensor("lstm.weight_ih_l\(index)", [gates, inputSize])
            let weightHH = try tensor("lstm.weight_hh_l\(index)", [gates, hidden])
            let biasIH = try tensor("lstm.bias_ih_l\(index)", [gates])
            let biasHH = try tensor("lstm.bias_hh_l\(index)", [gates])
            let matrixOffset = parameters.count
            parameters += [Float](repeating: 0, count: (inputSize + hidden) * gates)
            for gate in 0..<gates {
                let scale = gateScale[gate]
                for r in 0..<inputSize {
                    parameters[matrixOffset + r * gates + gate] = weightIH[gate * inputSize + r] * scale
                }
                for r in 0..<hidden {
                    parameters[matrixOffset + (inputSize + r) * gates + gate] = weightHH[gate * hidden + r] * scale
                }
            }
            let biasOffset = parameters.count
            parameters += (0..<gates).map { (biasIH[$0] + biasHH[$0]) * gateScale[$0] }
            layers.append(Layer(inputSize: inputSize, matrixOffset: matrixOffset, biasOffset: biasOffset))
        }

        let linear = try tensor("linear.weight", [hidden, hidden])
        let linearOffset = parameters.count
        parameters += [Float](repeating: 0, count: hidden * hidden)
        for out in 0..<hidden {
            for r in 0..<hidden {
                parameters[linearOffset + r * hidden + out] = linear[out * hidden + r]
            }
        }
        let linearBiasOffset = parameters.count
        parameters += try tensor("linear.bias", [hidden])
        self.parameters = parameters
        self.layers = layers
        self.linearOffset = linearOffset
        self.linearBiasOffset = linearBiasOffset
    }
}
