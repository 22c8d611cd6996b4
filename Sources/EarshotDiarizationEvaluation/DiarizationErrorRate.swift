import EarshotDiarization
import Foundation

/// Diarization error rate, frame based at 10 ms (NIST md-eval style, as the prototype's der.py).
///
/// Per scored frame: miss += max(0, n_ref − n_hyp), false alarm += max(0, n_hyp − n_ref),
/// confusion += min(n_ref, n_hyp) − n_correct; DER = (miss + FA + confusion) / reference speech.
/// The hypothesis→reference mapping is the one-to-one assignment with the most overlap (brute force
/// over assignments, fine for ≤ 8 speakers). Frames within ±collar of any reference boundary are not scored.
public struct DiarizationErrorRate: Sendable {
    /// (miss + false alarm + confusion) / total.
    public var rate: Double
    /// Seconds of reference speech not covered by enough hypothesis speakers.
    public var missed: Double
    /// Seconds of hypothesis speech beyond the reference.
    public var falseAlarm: Double
    /// Seconds attributed to the wrong speaker.
    public var confusion: Double
    /// Seconds of scored reference speech.
    public var total: Double
    /// Distinct reference speakers.
    public var referenceSpeakers: Int
    /// Distinct hypothesis speakers.
    public var hypothesisSpeakers: Int
    /// Hypothesis label → reference label under the optimal mapping (pairs with overlap only).
    public var mapping: [String: String]

    private static let step = 0.01

    /// Scores `hypothesis` against `reference`.
    public init(reference: [LabelledSegment], hypothesis: [LabelledSegment], collar: Double = 0.25) {
        let end = (reference + hypothesis).map(\.end).max() ?? 0
        let n = Int((max(0, end) / Self.step).rounded(.up)) + 1
        let referenceLabels = Set(reference.map(\.label)).sorted()
        let hypothesisLabels = Set(hypothesis.map(\.label)).sorted()
        func frame(_ seconds: Double) -> Int { Int((seconds / Self.step).rounded(.toNearestOrEven)) }
        func activity(_ segments: [LabelledSegment], _ labels: [String]) -> [[Bool]] {
            var matrix = [[Bool]](repeating: [Bool](repeating: false, count: n), count: labels.count)
            for segment in segments {
                guard let row = labels.firstIndex(of: segment.label) else { continue }
                let a = max(0, frame(segment.start)), b = min(n, frame(segment.end))
                if a < b { for t in a..<b { matrix[row][t] = true } }
            }
            return matrix
        }
        let ref = activity(reference, referenceLabels)
        let hyp = activity(hypothesis, hypothesisLabels)
        var scored = [Bool](repeating: true, count: n)
        if collar > 0 {
            let c = frame(collar)
            for segment in reference {
                for boundary in [frame(segment.start), frame(segment.end)] {
                    let a = max(0, boundary - c), b = min(n, boundary + c)
                    if a < b { for t in a..<b { scored[t] = false } }
                }
            }
        }
        // Overlap frames of every (reference, hypothesis) pair.
        var overlap = [[Int]](repeating: [Int](repeating: 0, count: hypothesisLabels.count), count: referenceLabels.count)
        for r in referenceLabels.indices {
            for h in hypothesisLabels.indices {
                var count = 0
                for t in 0..<n where scored[t] && ref[r][t] && hyp[h][t] { count += 1 }
                overlap[r][h] = count
            }
        }
        let assignment = Self.bestAssignment(overlap)
        var mapping: [String: String] = [:]
        for (r, h) in assignment where overlap[r][h] > 0 { mapping[hypothesisLabels[h]] = referenceLabels[r] }

        var miss = 0, falseAlarm = 0, confusion = 0, total = 0
        for t in 0..<n where scored[t] {
            let nRef = ref.reduce(0) { $0 + ($1[t] ? 1 : 0) }
            let nHyp = hyp.reduce(0) { $0 + ($1[t] ? 1 : 0) }
            var correct = 0
            for (r, h) in assignment where overlap[r][h] > 0 && ref[r][t] && hyp[h][t] { correct += 1 }
            miss += max(0, nRef - nHyp)
            falseAlarm += max(0, nHyp - nRef)
            confusion += min(nRef, nHyp) - correct
            total += nRef
        }
        self.rate = Double(miss + falseAlarm + confusion) / Double(max(total, 1))
        self.missed = Double(miss) * Self.step
        self.falseAlarm = Double(falseAlarm) * Self.step
        self.confusion = Double(confusion) * Self.step
        self.total = Double(total) * Self.step
        self.referenceSpeakers = referenceLabels.count
        self.hypothesisSpeakers = hypothesisLabels.count
        self.mapping = mapping
    }

    /// Scores diarizer output (speakers labelled "spk<index>").
    public init(reference: [LabelledSegment], result: DiarizationResult, collar: Double = 0.25) {
        self.init(reference: reference, hypothesis: Self.segments(result), collar: collar)
    }

    /// Diarizer turns as labelled segments.
    public static func segments(_ result: DiarizationResult) -> [LabelledSegment] {
        result.turns.map { LabelledSegment(start: $0.start, end: $0.end, label: "spk\($0.speaker)") }
    }

    /// One-to-one (reference, hypothesis) pairs maximising total overlap, by exhaustive search.
    static func bestAssignment(_ overlap: [[Int]]) -> [(Int, Int)] {
        let rows = overlap.count
        let columns = overlap.first?.count ?? 0
        guard rows > 0, columns > 0 else { return [] }
        var best: [(Int, Int)] = []
        var bestScore = -1
        var used = [Bool](repeating: false, count: columns)
        var current: [(Int, Int)] = []
        func search(_ r: Int, _ score: Int) {
            if r == rows {
                if score > bestScore {
                    bestScore = score
                    best = current
                }
                return
            }
            // Leaving a reference speaker unmapped is allowed (more references than hypotheses).
            if rows - r > columns - used.filter({ $0 }).count { search(r + 1, score) }
            for h in 0..<columns where !used[h] {
                used[h] = true
                current.append((r, h))
                search(r + 1, score + overlap[r][h])
                current.removeLast()
                used[h] = false
            }
        }
        search(0, 0)
        return best
    }
}
