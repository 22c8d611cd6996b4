import Foundation

/// Power mel spectrogram exactly as Resemblyzer 0.1.4 (librosa `melspectrogram(sr=16000, n_fft=400,
/// hop_length=160, n_mels=40)`): periodic Hann, 400-point DFT (not zero-padded), power, 40 Slaney mel
/// bands with Slaney area normalisation, no log, zero padding of 200 samples at both ends.
///
/// Only the frames some window reads are computed (sparse windows touch a third of a long recording).
/// The DFT is a matrix product over all requested frames at once: the Hann window is symmetric
/// (w[n] = w[400 − n]), so the real part needs only x[n] + x[400 − n] and the imaginary part only
/// x[n] − x[400 − n], which halves the multiply count of a plain 400×402 DFT matrix.
struct MelSpectrogram {
    /// Mel bands per frame.
    static let bands = 40
    /// DFT bins 0…200.
    static let bins = AudioFrames.frameLength / 2 + 1

    /// Total frames of the signal (computed or not).
    let frameCount: Int
    /// Computed rows, `bands` floats each, in ascending frame order.
    private(set) var rows: [Float]
    /// Row of each frame in `rows`, or -1 when the frame was not requested.
    private(set) var rowOfFrame: [Int32]

    /// The mel rows of `frames` (any order, duplicates allowed, out-of-range ignored) of `samples`.
    init(samples: [Float], frames requested: [Int]) {
        let frameCount = AudioFrames.frameCount(samples: samples.count)
        var rowOfFrame = [Int32](repeating: -1, count: frameCount)
        for frame in requested where frame >= 0 && frame < frameCount { rowOfFrame[frame] = 0 }
        var frames: [Int] = []
        frames.reserveCapacity(requested.count)
        for frame in 0..<frameCount where rowOfFrame[frame] == 0 {
            rowOfFrame[frame] = Int32(frames.count)
            frames.append(frame)
        }
        self.frameCount = frameCount
        self.rowOfFrame = rowOfFrame
        self.rows = Self.compute(samples: samples, frames: frames)
    }

    /// All frames of `samples`.
    init(samples: [Float]) {
        self.init(samples: samples, frames: Array(0..<AudioFrames.frameCount(samples: samples.count)))
    }

    /// The 40 mel values of `frame`, or nil when it was not computed.
    func row(_ frame: Int) -> ArraySlice<Float>? {
        guard frame >= 0, frame < frameCount, rowOfFrame[frame] >= 0 else { return nil }
        let start = Int(rowOfFrame[frame]) * Self.bands
        return rows[start..<start + Self.bands]
    }

    // MARK: - Computation

    /// Frames per GEMM batch: large enough for efficient GEMMs, small enough to stay in cache.
    private static let chunk = 256
    /// Symmetric part inputs per frame: x[n] + x[400−n] for n = 1…199, and x[200].
    private static let evenCount = 200
    /// Antisymmetric part inputs per frame: x[n] − x[400−n] for n = 1…199.
    private static let oddCount = 199

    private static func compute(samples: [Float], frames: [Int]) -> [Float] {
        let bins = Self.bins
        let bands = Self.bands
        let chunk = Self.chunk
        var out = [Float](repeating: 0, count: frames.count * bands)
        var even = [Float](repeating: 0, count: chunk * evenCount)
        var odd = [Float](repeating: 0, count: chunk * oddCount)
        var real = [Float](repeating: 0, count: chunk * bins)
        var imaginary = [Float](repeating: 0, count: chunk * bins)
        let tables = DFTTables.shared
        let half = AudioFrames.frameLength / 2
        let count = samples.count

        samples.withUnsafeBufferPointer { x in
            var base = 0
            while base < frames.count {
                let m = min(chunk, frames.count - base)
                for r in 0..<m {
                    // Frame t covers samples 160t − 200 … 160t + 199 of the unpadded signal.
                    let origin = frames[base + r] * AudioFrames.hop - half
                    @inline(__always) func sample(_ n: Int) -> Float {
                        let i = origin + n
                        return i >= 0 && i < count ? x[i] : 0
                    }
                    let evenRow = r * evenCount
                    let oddRow = r * oddCount
                    for n in 1..<half {
                        let a = sample(n)
                        let b = sample(AudioFrames.frameLength - n)
                        even[evenRow + n - 1] = a + b
                        odd[oddRow + n - 1] = a - b
                    }
                    even[evenRow + half - 1] = sample(half)
                }
                even.withUnsafeBufferPointer { e in
                    real.withUnsafeMutableBufferPointer { re in
                        tables.cosine.withUnsafeBufferPointer { c in
                            matmul(m: m, n: bins, k: evenCount, e, lda: evenCount, c, ldb: bins, re, ldc: bins)
                        }
                    }
                }
                odd.withUnsafeBufferPointer { o in
                    imaginary.withUnsafeMutableBufferPointer { im in
                        tables.sine.withUnsafeBufferPointer { s in
                            matmul(m: m, n: bins, k: oddCount, o, lda: oddCount, s, ldb: bins, im, ldc: bins)
                        }
                    }
                }
                for i in 0..<m * bins {
                    real[i] = real[i] * real[i] + imaginary[i] * imaginary[i]
                }
                real.withUnsafeBufferPointer { power in
                    tables.filterbankT.withUnsafeBufferPointer { f in
                        out.withUnsafeMutableBufferPointer { o in
                            matmul(m: m, n: bands, k: bins, power, lda: bins, f, ldb: bands,
                                   o, cOffset: base * bands, ldc: bands)
                        }
                    }
                }
                base += m
            }
        }
        return out
    }
}

/// Constant matrices of the mel front end, built once per process.
struct DFTTables: Sendable {
    /// Row-major 200×201: rows n = 1…199 hold w[n]·cos(2πkn/400); the last row is (−1)^k for x[200]
    /// (w[200] = 1). w[0] = 0, so x[0] drops out.
    let cosine: [Float]
    /// Row-major 199×201: w[n]·sin(2πkn/400), n = 1…199 (the sign is irrelevant for power).
    let sine: [Float]
    /// Row-major 201×40: the Slaney mel filterbank transposed, float32 as librosa returns it.
    let filterbankT: [Float]

    static let shared = DFTTables()

    private init() {
        let length = AudioFrames.frameLength
        let half = length / 2
        let bins = MelSpectrogram.bins
        // Periodic Hann: w[n] = 0.5 − 0.5·cos(2πn/400).
        func window(_ n: Int) -> Double { 0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(length)) }
        // Reduce kn mod 400 before scaling so large products keep full double accuracy.
        func angle(_ k: Int, _ n: Int) -> Double { 2 * Double.pi * Double((k * n) % length) / Double(length) }

        var cosine = [Float](repeating: 0, count: half * bins)
        var sine = [Float](repeating: 0, count: (half - 1) * bins)
        for n in 1..<half {
            let w = window(n)
            for k in 0..<bins {
                cosine[(n - 1) * bins + k] = Float(w * cos(angle(k, n)))
                sine[(n - 1) * bins + k] = Float(w * sin(angle(k, n)))
            }
        }
        for k in 0..<bins {
            cosine[(half - 1) * bins + k] = k % 2 == 0 ? 1 : -1
        }
        self.cosine = cosine
        self.sine = sine
        self.filterbankT = Self.slaneyFilterbankT(bins: bins, bands: MelSpectrogram.bands)
    }

    /// librosa.filters.mel(sr=16000, n_fft=400, n_mels=40, htk=False, norm='slaney'), transposed.
    private static func slaneyFilterbankT(bins: Int, bands: Int) -> [Float] {
        let minLogHz = 1000.0
        let linearStep = 200.0 / 3
        let minLogMel = minLogHz / linearStep
        let logStep = log(6.4) / 27
        func hzToMel(_ f: Double) -> Double {
            f >= minLogHz ? minLogMel + log(max(f, 1e-10) / minLogHz) / logStep : f / linearStep
        }
        func melToHz(_ m: Double) -> Double {
            m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : linearStep * m
        }
        let nyquist = Double(AudioFrames.sampleRate) / 2
        let top = hzToMel(nyquist)
        // numpy.linspace(mel(0), mel(8000), 42): start + i·step, last point exactly the stop.
        let step = top / Double(bands + 1)
        let edges: [Double] = (0...bands + 1).map { i in
            melToHz(i == bands + 1 ? top : Double(i) * step)
        }
        var weightsT = [Float](repeating: 0, count: bins * bands)
        for band in 0..<bands {
            let lowerWidth = edges[band + 1] - edges[band]
            let upperWidth = edges[band + 2] - edges[band + 1]
            let norm = 2 / (edges[band + 2] - edges[band])
            for k in 0..<bins {
                let frequency = nyquist * Double(k) / Double(bins - 1)
                let lower = (frequency - edges[band]) / lowerWidth
                let upper = (edges[band + 2] - frequency) / upperWidth
                weightsT[k * bands + band] = Float(max(0, min(lower, upper)) * norm)
            }
        }
        return weightsT
    }
}
