@_spi(Evaluation) import EarshotDiarization
import Foundation

/// Assembles a test conversation from real recorded voices, deterministically (seeded), in the spirit
/// of the prototype's make_conversation.py: clips are cut into phrases, phrases of one speaker form turns
/// of 2–8 s (0.10–0.25 s gaps inside a turn), turns are separated by 0.2–0.8 s pauses, the same
/// speaker never speaks twice in a row, each speaker gets one level in −28…−20 dBFS RMS, and white
/// noise at −60 dBFS keeps the pauses from being digital zero. No phrase is used twice.
public struct Conversation {
    /// One voice and its clips (16 kHz mono samples).
    public struct Voice {
        /// Reference label.
        public var name: String
        /// The voice's recordings.
        public var clips: [[Float]]
        /// A voice from its clips.
        public init(name: String, clips: [[Float]]) {
            self.name = name
            self.clips = clips
        }
    }

    /// 16 kHz mono samples.
    public var samples: [Float]
    /// One segment per turn: [first phrase start, last phrase end] (gaps inside a turn count as speech).
    public var reference: [LabelledSegment]

    static let sampleRate = 16_000

    /// How much of each voice's material a conversation uses.
    public enum Material: Sendable {
        /// Every phrase once (voices with more material talk longer).
        case everyPhraseOnce
        /// About as much speech per voice as the voice with the least material has.
        case equalToSmallest
        /// `seconds` of speech per voice, cycling through a voice's phrases (repeating them) if needed.
        case cycled(seconds: Double)
    }

    /// Assembles `voices` with the given seed. Phrases are taken in order from a seeded start.
    public init(
        voices: [Voice], seed: UInt64, material: Material = .everyPhraseOnce,
        turnSeconds: ClosedRange<Double> = 2...8
    ) {
        var random = SplitMix64(seed: seed)
        let sr = Double(Self.sampleRate)
        var pools: [[[Float]]] = voices.map { voice in voice.clips.flatMap { Self.phrases(of: $0) } }
        let totals = pools.map { $0.reduce(0) { $0 + Double($1.count) / sr } }
        let budget: Double?
        switch material {
        case .everyPhraseOnce: budget = nil
        case .equalToSmallest: budget = totals.min()
        case .cycled(let seconds): budget = seconds
        }
        if let budget {
            pools = pools.map { pool in
                guard !pool.isEmpty else { return pool }
                let first = Int(random.next() % UInt64(pool.count))
                var taken: [[Float]] = []
                var seconds = 0.0
                var k = 0
                while seconds < budget {
                    let phrase = pool[(first + k) % pool.count]
                    let duration = Double(phrase.count) / sr
                    if !taken.isEmpty && seconds + duration > budget + 0.5 { break }
                    taken.append(phrase)
                    seconds += duration
                    k += 1
                    if case .equalToSmallest = material, k >= pool.count { break }
                }
                return taken
            }
        }
        let gains = voices.map { _ in Self.uniform(&random, -28, -20) }
        var remaining: [Double] { pools.map { $0.reduce(0) { $0 + Double($1.count) / sr } } }

        var pieces: [(at: Double, samples: [Float])] = []
        var reference: [LabelledSegment] = []
        var time = 0.5
        var previous: Int?
        while true {
            let left = remaining
            // Next speaker: anyone but the previous one with material left, weighted by what is left,
            // so the long LibriVox reading does not end up as one speaker's monologue at the end.
            let candidates = voices.indices.filter { $0 != previous && left[$0] > 0 }
            guard !candidates.isEmpty else { break }
            var pick = random.nextUnit() * candidates.reduce(0) { $0 + left[$1] }
            var speaker = candidates[candidates.count - 1]
            for candidate in candidates {
                pick -= left[candidate]
                if pick < 0 {
                    speaker = candidate
                    break
                }
            }
            let target = Self.uniform(&random, turnSeconds.lowerBound, turnSeconds.upperBound)
            let start = time
            var cursor = time
            var used = 0
            while let phrase = pools[speaker].first {
                let duration = Double(phrase.count) / sr
                if used > 0 && cursor - start + duration > turnSeconds.upperBound { break }
                pools[speaker].removeFirst()
                var rms = 0.0
                for s in phrase { rms += Double(s) * Double(s) }
                rms = (rms / Double(max(phrase.count, 1))).squareRoot() + 1e-9
                let gain = Float(pow(10, gains[speaker] / 20) / rms)
                pieces.append((cursor, phrase.map { $0 * gain }))
                cursor += duration
                used += 1
                if cursor - start >= target { break }
                cursor += Self.uniform(&random, 0.10, 0.25)
            }
            reference.append(LabelledSegment(start: start, end: cursor, label: voices[speaker].name))
            previous = speaker
            time = cursor + Self.uniform(&random, 0.2, 0.8)
        }

        let total = Int(((reference.last?.end ?? 0) + 0.5) * sr)
        var mix = [Float](repeating: 0, count: total)
        for piece in pieces {
            let offset = Int((piece.at * sr).rounded())
            for (i, s) in piece.samples.enumerated() where offset + i < total { mix[offset + i] += s }
        }
        let noiseLevel = pow(10, -60.0 / 20)
        for i in mix.indices {
            mix[i] = min(1, max(-1, mix[i] + Float(Self.gaussian(&random) * noiseLevel)))
        }
        self.samples = mix
        self.reference = reference
    }

    static func uniform(_ random: inout SplitMix64, _ low: Double, _ high: Double) -> Double {
        low + (high - low) * random.nextUnit()
    }

    static func gaussian(_ random: inout SplitMix64) -> Double {
        let u = max(random.nextUnit(), 1e-300), v = random.nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// Phrases of a clip (make_conversation.py `phrases` + `split_long`): 10 ms frames above
    /// max(peak − 35 dB, −55 dBFS), gaps < 150 ms bridged, phrases < 200 ms dropped, 30 ms margin;
    /// phrases over 4 s are split at the quietest point of their middle 60 %.
    static func phrases(of clip: [Float]) -> [[Float]] {
        let frame = 160
        let n = clip.count / frame
        guard n > 0 else { return [] }
        let db = frameDecibels(clip, from: 0, frames: n)
        let threshold = max((db.max() ?? -120) - 35, -55)
        var runs: [(Int, Int)] = []
        var i = 0
        while i < n {
            if db[i] > threshold {
                var j = i
                while j < n && db[j] > threshold { j += 1 }
                if let last = runs.last, i - last.1 < 15 {
                    runs[runs.count - 1].1 = j
                } else {
                    runs.append((i, j))
                }
                i = j
            } else {
                i += 1
            }
        }
        var out: [[Float]] = []
        for (s, e) in runs where e - s >= 20 {
            let start = max(0, s * frame - 480), end = min(clip.count, e * frame + 480)
            for (a, b) in splitLong(clip, start, end) { out.append(Array(clip[a..<b])) }
        }
        return out
    }

    static func splitLong(_ clip: [Float], _ start: Int, _ end: Int) -> [(Int, Int)] {
        guard Double(end - start) / Double(sampleRate) > 4 else { return [(start, end)] }
        let n = (end - start) / 160
        let db = frameDecibels(clip, from: start, frames: n)
        var smooth = [Double](repeating: 0, count: n)
        for t in 0..<n {
            for m in max(0, t - 2)...min(n - 1, t + 2) { smooth[t] += db[m] / 5 }
        }
        let lo = Int(0.2 * Double(n)), hi = Int(0.8 * Double(n))
        var best = lo
        for t in lo..<hi where smooth[t] < smooth[best] { best = t }
        let cut = start + best * 160
        return splitLong(clip, start, cut) + splitLong(clip, cut, end)
    }

    static func frameDecibels(_ clip: [Float], from start: Int, frames: Int) -> [Double] {
        (0..<frames).map { t in
            var sum = 0.0
            for i in start + t * 160..<start + (t + 1) * 160 { sum += Double(clip[i]) * Double(clip[i]) }
            return 10 * log10(sum / 160 + 1e-12)
        }
    }
}
