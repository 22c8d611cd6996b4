/// What diarization found in a recording: the speakers and who spoke when.
public struct SpeakerTimeline: Sendable, Hashable {
    public struct Speaker: Sendable, Hashable {
        /// Unit-length centroid of the speaker's voice embeddings.
        public var centroid: [Float]
        public var speechSeconds: Double

        public init(centroid: [Float], speechSeconds: Double) {
            self.centroid = centroid
            self.speechSeconds = speechSeconds
        }
    }

    /// A stretch of time attributed to `speakers[speaker]`.
    public struct Turn: Sendable, Hashable {
        public var start: Double
        public var end: Double
        public var speaker: Int

        public init(start: Double, end: Double, speaker: Int) {
            self.start = start
            self.end = end
            self.speaker = speaker
        }
    }

    public var speakers: [Speaker]
    /// Sorted by time, not overlapping.
    public var turns: [Turn]

    public init(speakers: [Speaker], turns: [Turn]) {
        self.speakers = speakers
        self.turns = turns
    }

    /// The speaker with the most time inside `start..<end` (the earlier on a tie); nil when no turn
    /// overlaps it.
    public func speaker(from start: Double, to end: Double) -> Int? {
        var time: [Int: Double] = [:]
        var order: [Int] = []
        for turn in turns where turn.end > start && turn.start < end {
            let overlap = min(turn.end, end) - max(turn.start, start)
            guard overlap > 0 else { continue }
            if time[turn.speaker] == nil { order.append(turn.speaker) }
            time[turn.speaker, default: 0] += overlap
        }
        var best: Int?
        for speaker in order where best.map({ (time[speaker] ?? 0) > (time[$0] ?? 0) }) ?? true { best = speaker }
        return best
    }

    /// The segments with each segment's and word's speaker, and the speakers they name (`S1`, `S2`,
    /// … in order of first appearance in the text). A word gets the speaker of its own time; a
    /// segment the one who speaks most of it. Speakers no segment or word names are left out: a
    /// voice that said nothing the recognizer wrote down has nothing to be named for.
    ///
    /// A segment whose words change speaker is cut where they change, so that every segment is one
    /// speaker's: Whisper runs across short pauses, and one segment often holds the end of one
    /// turn and the start of the next.
    public func labeling(_ segments: [Segment]) -> (segments: [Segment], speakers: [TranscriptSpeaker]) {
        var ids: [Int: String] = [:]
        func id(_ index: Int?) -> String? {
            guard let index, speakers.indices.contains(index) else { return nil }
            if let known = ids[index] { return known }
            let new = TranscriptSpeaker.id(forIndex: ids.count)
            ids[index] = new
            return new
        }
        var labeled: [Segment] = []
        for segment in segments {
            let segmentSpeaker = speaker(from: segment.start, to: segment.end)
            guard let words = segment.words, !words.isEmpty else {
                var whole = segment
                whole.speaker = id(segmentSpeaker)
                labeled.append(whole)
                continue
            }
            // Each word's speaker index first, so that ids follow the order of speech.
            let wordSpeakers = words.map { speaker(from: $0.start, to: $0.end) ?? segmentSpeaker }
            var runs: [(speaker: Int?, words: [Word])] = []
            for (word, index) in zip(words, wordSpeakers) {
                if let last = runs.last, last.speaker == index {
                    runs[runs.count - 1].words.append(word)
                } else {
                    runs.append((index, [word]))
                }
            }
            if runs.count == 1 {
                var whole = segment
                whole.speaker = id(runs[0].speaker)
                whole.words = words.map { var word = $0; word.speaker = whole.speaker; return word }
                labeled.append(whole)
                continue
            }
            for (position, run) in runs.enumerated() {
                var part = segment
                let label = id(run.speaker)
                part.speaker = label
                part.words = run.words.map { var word = $0; word.speaker = label; return word }
                part.text = run.words.map(\.text).joined()
                part.start = position == 0 ? segment.start : run.words[0].start
                part.end = position == runs.count - 1 ? segment.end : run.words[run.words.count - 1].end
                part.originalText = nil
                labeled.append(part)
            }
        }
        let named = ids.sorted { $0.value.count == $1.value.count ? $0.value < $1.value : $0.value.count < $1.value.count }.map { index, id in
            TranscriptSpeaker(id: id, speechSeconds: speakers[index].speechSeconds, embedding: speakers[index].centroid)
        }
        return (labeled, named)
    }
}
