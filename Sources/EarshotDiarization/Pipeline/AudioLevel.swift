import Foundation

/// Sample rate, frame grid and level handling shared by the VAD, the mel front end and the pipeline.
enum AudioFrames {
    /// The encoder was trained on 16 kHz audio.
    static let sampleRate = 16_000
    /// 10 ms frame hop.
    static let hop = 160
    /// 25 ms analysis frame, centred on sample hop·t (librosa `center=True`).
    static let frameLength = 400
    /// Seconds per frame.
    static let frameSeconds = Double(hop) / Double(sampleRate)

    /// Frames in a signal of `samples` samples (librosa: 1 + ⌊N / hop⌋).
    static func frameCount(samples: Int) -> Int { 1 + samples / hop }

    /// NaN and ±infinity become 0 so that one bad sample cannot poison the whole recording's statistics.
    static func sanitized(_ samples: [Float]) -> [Float] {
        if samples.allSatisfy(\.isFinite) { return samples }
        return samples.map { $0.isFinite ? $0 : 0 }
    }

    /// Resemblyzer's `normalize_volume(wav, -30, increase_only=True)`: quiet recordings are raised to
    /// −30 dBFS RMS; loud ones are left alone. The network eats linear (not log) mel power, so its
    /// input level matters.
    static func levelNormalized(_ samples: [Float], targetDBFS: Double = -30) -> [Float] {
        guard !samples.isEmpty else { return samples }
        var sumSquares = 0.0
        for sample in samples {
            let scaled = Double(sample) * 32767
            sumSquares += scaled * scaled
        }
        let rms = (sumSquares / Double(samples.count)).squareRoot()
        guard rms > 0 else { return samples }
        let change = targetDBFS - 20 * log10(rms / 32767)
        guard change > 0 else { return samples }
        // numpy multiplies the float32 signal by the gain rounded to float32; so do we.
        let gain = Float(pow(10, change / 20))
        return samples.map { $0 * gain }
    }
}
