/// `length` consecutive mel frames from `start`: the input of one embedding.
struct EmbeddingWindow: Sendable, Hashable {
    /// First frame.
    var start: Int
    /// Number of frames (LSTM steps).
    var length: Int
}

/// The Resemblyzer LSTM run over many windows at once.
///
/// All windows of a recording form one batch. Rows are sorted by length, longest first, and
/// right-aligned in time: a window of length l starts at step Lmax − l, so at every step the active
/// rows are a prefix of the batch and each GEMM covers exactly those rows (no padding, no wasted
/// FLOPs). Per step and layer there is one GEMM, [x | h_own] · [W_ih | W_hh]ᵀ, where x is the mel row
/// for layer 0 and the layer below's fresh h for layers 1 and 2.
struct VoiceEncoder: Sendable {
    /// The network.
    let weights: VoiceEncoderWeights

    /// L2-normalised embeddings of `windows` (row-major, 256 per window, in input order). A window's
    /// frames missing from `mel` read as zeros; a window whose output is all zero after the ReLU stays zero.
    func embed(_ mel: MelSpectrogram, windows: [EmbeddingWindow]) -> [Float] {
        _ = openBLASSingleThreaded
        let hidden = VoiceEncoderWeights.hiddenSize
        let gates = VoiceEncoderWeights.gateSize
        let melWidth = VoiceEncoderWeights.inputSize
        let batch = windows.count
        var embeddings = [Float](repeating: 0, count: batch * hidden)
        guard batch > 0 else { return embeddings }

        let order = windows.indices.sorted {
            windows[$0].length != windows[$1].length ? windows[$0].length > windows[$1].length : $0 < $1
        }
        let lengths = order.map { max(0, windows[$0].length) }
        let starts = order.map { windows[$0].start }
        let steps = lengths[0]
        // Row r joins at step firstStep[r]; ascending because lengths are descending.
        let firstStep = lengths.map { steps - $0 }

        // Layer inputs [x | h]: layer 0 is 40 + 256 wide, layers 1 and 2 are 256 + 256 wide.
        let width0 = melWidth + hidden
        let width12 = 2 * hidden
        let sizes = [batch * width0, batch * width12, batch * width12, batch * gates,
                     batch * hidden, batch * hidden, batch * hidden, batch * hidden]
        var offsets: [Int] = []
        var total = 0
        for size in sizes {
            offsets.append(total)
            total += (size + 15) & ~15  // keep every region 64-byte aligned
        }
        let arena = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
        arena.initialize(repeating: 0)
        defer { arena.deallocate() }
        func region(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: arena[offsets[index]..<offsets[index] + sizes[index]])
        }
        let input0 = region(0), input1 = region(1), input2 = region(2), gateBuffer = region(3)
        let cells = [region(4), region(5), region(6)]
        let projected = region(7)

        weights.parameters.withUnsafeBufferPointer { parameters in
            let layers = weights.layers
            var active = 0
            for t in 0..<steps {
                while active < batch && firstStep[active] <= t { active += 1 }
                for r in 0..<active {
                    let destination = r * width0
                    if let row = mel.row(starts[r] + t - firstStep[r]) {
                        var j = destination
                        for value in row {
                            input0[j] = value
                            j += 1
                        }
                    } else {
                        for j in destination..<destination + melWidth { input0[j] = 0 }
                    }
                }
                // Layer 0: h goes to its own recurrent slot and to layer 1's input slot.
                step(rows: active, input: input0, width: width0, layer: layers[0], parameters: parameters,
                     gates: gateBuffer, cell: cells[0],
                     output: input0, outputOffset: melWidth, outputStride: width0,
                     next: input1, nextStride: width12)
                step(rows: active, input: input1, width: width12, layer: layers[1], parameters: parameters,
                     gates: gateBuffer, cell: cells[1],
                     output: input1, outputOffset: hidden, outputStride: width12,
                     next: input2, nextStride: width12)
                step(rows: active, input: input2, width: width12, layer: layers[2], parameters: parameters,
                     gates: gateBuffer, cell: cells[2],
                     output: input2, outputOffset: hidden, outputStride: width12,
                     next: nil, nextStride: 0)
            }
            // Embedding = ReLU(h_top · linearᵀ + b), L2-normalised.
            let linear = UnsafeBufferPointer(
                rebasing: parameters[weights.linearOffset..<weights.linearOffset + hidden * hidden])
            matmul(m: batch, n: hidden, k: hidden, UnsafeBufferPointer(input2), aOffset: hidden, lda: width12,
                   linear, ldb: hidden, projected, ldc: hidden)
            for r in 0..<batch {
                var norm: Float = 0
                for j in 0..<hidden {
                    let value = max(0, projected[r * hidden + j] + parameters[weights.linearBiasOffset + j])
                    projected[r * hidden + j] = value
                    norm += value * value
                }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                let destination = order[r] * hidden
                for j in 0..<hidden {
                    embeddings[destination + j] = projected[r * hidden + j] * scale
                }
            }
        }
        return embeddings
    }

    /// One LSTM layer for one time step over the first `rows` rows: gates = [x | h]·W (one GEMM), then
    /// the cell update. The new h is written at `outputOffset` of each `output` row (the layer's own
    /// recurrent slot) and, when given, at the start of each `next` row (the input of the layer above).
    @inline(__always)
    private func step(
        rows: Int,
        input: UnsafeMutableBufferPointer<Float>, width: Int,
        layer: VoiceEncoderWeights.Layer, parameters: UnsafeBufferPointer<Float>,
        gates: UnsafeMutableBufferPointer<Float>, cell: UnsafeMutableBufferPointer<Float>,
        output: UnsafeMutableBufferPointer<Float>, outputOffset: Int, outputStride: Int,
        next: UnsafeMutableBufferPointer<Float>?, nextStride: Int
    ) {
        let hidden = VoiceEncoderWeights.hiddenSize
        let gateCount = VoiceEncoderWeights.gateSize
        let matrix = UnsafeBufferPointer(
            rebasing: parameters[layer.matrixOffset..<layer.matrixOffset + width * gateCount])
        matmul(m: rows, n: gateCount, k: width, UnsafeBufferPointer(input), lda: width,
               matrix, ldb: gateCount, gates, ldc: gateCount)
        guard let gatesBase = gates.baseAddress, let cellBase = cell.baseAddress,
              let outputBase = output.baseAddress, let parameterBase = parameters.baseAddress
        else { return }
        let bias = parameterBase + layer.biasOffset
        let nextBase = next?.baseAddress
        for r in 0..<rows {
            let z = gatesBase + r * gateCount
            let c = cellBase + r * hidden
            let h = outputBase + r * outputStride + outputOffset
            // i, f, o columns were pre-scaled by 0.5: σ(a) = 0.5 + 0.5·tanh(a/2).
            for j in 0..<hidden {
                let i = 0.5 + 0.5 * fastTanh(z[j] + bias[j])
                let f = 0.5 + 0.5 * fastTanh(z[hidden + j] + bias[hidden + j])
                let g = fastTanh(z[2 * hidden + j] + bias[2 * hidden + j])
                let o = 0.5 + 0.5 * fastTanh(z[3 * hidden + j] + bias[3 * hidden + j])
                let newCell = f * c[j] + i * g
                c[j] = newCell
                h[j] = o * fastTanh(newCell)
            }
            if let nextBase {
                (nextBase + r * nextStride).update(from: h, count: hidden)
            }
        }
    }
}
