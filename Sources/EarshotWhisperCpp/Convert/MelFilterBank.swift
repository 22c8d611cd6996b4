import Foundation

/// The mel filter bank Whisper was trained with: librosa's `filters.mel(sr=16000, n_fft=400, n_mels=…)`
/// with the Slaney mel scale and Slaney area normalisation, which OpenAI ships as `mel_filters.npz`.
/// Computed here because a ggml model file carries it and no package here ships it.
enum MelFilterBank {
    static let sampleRate = 16_000.0
    static let fftSize = 400

    /// `melCount` rows of `fftSize / 2 + 1` weights, row-major.
    static func weights(melCount: Int) -> [Float] {
        let binCount = fftSize / 2 + 1
        let fftFrequencies = (0..<binCount).map { Double($0) * (sampleRate / 2) / Double(binCount - 1) }
        let lowMel = hertzToMel(0)
        let highMel = hertzToMel(sampleRate / 2)
        let melFrequencies = (0..<(melCount + 2)).map {
            melToHertz(lowMel + (highMel - lowMel) * Double($0) / Double(melCount + 1))
        }
        var weights = [Float](repeating: 0, count: melCount * binCount)
        for mel in 0..<melCount {
            let lowerWidth = melFrequencies[mel + 1] - melFrequencies[mel]
            let upperWidth = melFrequencies[mel + 2] - melFrequencies[mel + 1]
            // Slaney normalisation: each triangle has unit area.
            let normalisation = 2 / (melFrequencies[mel + 2] - melFrequencies[mel])
            for bin in 0..<binCount {
                let rising = (fftFrequencies[bin] - melFrequencies[mel]) / lowerWidth
                let falling = (melFrequencies[mel + 2] - fftFrequencies[bin]) / upperWidth
                weights[mel * binCount + bin] = Float(max(0, min(rising, falling)) * normalisation)
            }
        }
        return weights
    }

    // The Slaney scale: linear below 1 kHz, logarithmic above.
    private static let linearStep = 200.0 / 3
    private static let logStart = 1000.0
    private static let logStartMel = logStart / linearStep
    private static let logStep = log(6.4) / 27

    static func hertzToMel(_ hertz: Double) -> Double {
        hertz < logStart ? hertz / linearStep : logStartMel + log(hertz / logStart) / logStep
    }

    static func melToHertz(_ mel: Double) -> Double {
        mel < logStartMel ? mel * linearStep : logStart * exp(logStep * (mel - logStartMel))
    }
}
