import Foundation

/// A half-open run of 10 ms frames.
struct FrameRange: Sendable, Hashable {
    /// First frame.
    var start: Int
    /// One past the last frame.
    var end: Int
    /// Frames in the run.
    var count: Int { end - start }
}

/// Energy-based voice activity detection on the mel frame grid (docs/diarization-prototype.md §6.2).
///
/// No model: the threshold adapts to the recording (10th and 95th percentile of frame energy), which
/// suits studio and phone audio; a noisy room will need a better VAD (e.g. the transcriber's).
enum SpeechRegions {
    /// e[t] = 10·log10(Σ x² over the 400-sample centred frame t + 1e-10), from 80-sample block
    /// energies (400 = 5·80, hop 160 = 2·80): e[t] = 10·log10(b[2t] + … + b[2t+4] + 1e-10).
    static func frameEnergies(_ samples: [Float]) -> [Double] {
        let frames = AudioFrames.frameCount(samples: samples.count)
        let block = 80
        let blocks = 2 * frames + 3
        let padding = AudioFrames.frameLength / 2
        var blockEnergy = [Double](repeating: 0, count: blocks)
        // Block j covers padded samples [80j, 80j + 80), i.e. signal samples [80j − 200, 80j − 120).
        for j in 0..<blocks {
            let lower = max(0, j * block - padding)
            let upper = min(samples.count, j * block - padding + block)
            var sum = 0.0
            if lower < upper {
                for i in lower..<upper {
                    let value = Double(samples[i])
                    sum += value * value
                }
            }
            blockEnergy[j] = sum
        }
        return (0..<frames).map { t in
            let sum = blockEnergy[2 * t] + blockEnergy[2 * t + 1] + blockEnergy[2 * t + 2]
                + blockEnergy[2 * t + 3] + blockEnergy[2 * t + 4]
            return 10 * log10(sum + 1e-10)
        }
    }

    /// Speech mask per frame: smoothed energy above floor + rel·(peak − floor), short pauses bridged,
    /// short bursts dropped, every run padded.
    static func speechMask(energies: [Double], parameters: DiarizationParameters) -> [Bool] {
        let count = energies.count
        guard count > 0 else { return [] }
        // numpy.convolve(e, ones(k)/k, "same"): a centred window with zeros past the ends. Zero is
        // 0 dB, far louder than any real frame, so the first and last two frames can look like speech;
        // that is kept for parity with the prototype and removed by the minimum-run rule below.
        let width = max(1, parameters.vadSmoothFrames)
        let weight = 1 / Double(width)
        let left = (width - 1) / 2
        var smoothed = [Double](repeating: 0, count: count)
        for t in 0..<count {
            var sum = 0.0
            for m in max(0, t - left)...min(count - 1, t - left + width - 1) {
                sum += energies[m] * weight
            }
            smoothed[t] = sum
        }
        let sorted = smoothed.sorted()
        let floor = percentile(sorted, 10)
        let peak = percentile(sorted, 95)
        let threshold = floor + parameters.vadRelativeThreshold * (peak - floor)
        var speech = smoothed.map { $0 > threshold }

        let bridge = frames(parameters.vadBridgeSeconds)
        for gap in runs(of: false, in: speech) where gap.start > 0 && gap.end < count && gap.count < bridge {
            for t in gap.start..<gap.end { speech[t] = true }
        }
        let minimum = frames(parameters.vadMinSpeechSeconds)
        for run in runs(of: true, in: speech) where run.count < minimum {
            for t in run.start..<run.end { speech[t] = false }
        }
        let pad = frames(parameters.vadPadSeconds)
        if pad > 0 {
            var padded = speech
            for run in runs(of: true, in: speech) {
                for t in max(0, run.start - pad)..<min(count, run.end + pad) { padded[t] = true }
            }
            speech = padded
        }
        return speech
    }

    /// Maximal runs of `value` in `mask`.
    static func runs(of value: Bool, in mask: [Bool]) -> [FrameRange] {
        var result: [FrameRange] = []
        var start: Int?
        for (t, flag) in mask.enumerated() {
            if flag == value {
                if start == nil { start = t }
            } else if let s = start {
                result.append(FrameRange(start: s, end: t))
                start = nil
            }
        }
        if let s = start { result.append(FrameRange(start: s, end: mask.count)) }
        return result
    }

    /// Seconds to whole frames, rounded half to even as Python's round().
    static func frames(_ seconds: Double) -> Int {
        Int((seconds / AudioFrames.frameSeconds).rounded(.toNearestOrEven))
    }

    /// numpy.percentile with linear interpolation over already sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let position = q / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }
}
