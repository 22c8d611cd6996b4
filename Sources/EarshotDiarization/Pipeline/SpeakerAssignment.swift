/// Which speaker said each word/segment: the speaker with the most time inside [start, end) (ties:
/// the earlier turn), nil when no turn overlaps.
public enum SpeakerAssignment {
    /// The speaker of [start, end) given diarized `turns` (any order).
    ///
    /// Time is summed per speaker over all overlapping turns. A zero-length span (a word timestamp
    /// with start == end) takes the speaker of the turn containing that instant.
    public static func speaker(for start: Double, _ end: Double, in turns: [SpeakerTurn]) -> Int? {
        guard start.isFinite, end.isFinite else { return nil }
        if end <= start {
            return turns
                .filter { $0.start <= start && start < $0.end }
                .min { ($0.start, $0.speaker) < ($1.start, $1.speaker) }?
                .speaker
        }
        var time: [Int: Double] = [:]
        var firstStart: [Int: Double] = [:]
        for turn in turns {
            let overlap = min(end, turn.end) - max(start, turn.start)
            guard overlap > 0 else { continue }
            time[turn.speaker, default: 0] += overlap
            firstStart[turn.speaker] = min(firstStart[turn.speaker] ?? .infinity, turn.start)
        }
        return time.max { a, b in
            if a.value != b.value { return a.value < b.value }
            // Equal time: the speaker whose overlapping turn starts earlier wins.
            let aStart = firstStart[a.key] ?? .infinity, bStart = firstStart[b.key] ?? .infinity
            return aStart != bStart ? aStart > bStart : a.key > b.key
        }?.key
    }
}
