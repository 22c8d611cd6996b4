/// What merging one speaker of a transcript into another changes, shared by both stores.
public enum SpeakerMerge {
    /// The segment with every mention of `from` (its own speaker, its words') made `into`.
    public static func relabel(_ segment: Segment, from: String, into: String) -> Segment {
        var segment = segment
        if segment.speaker == from { segment.speaker = into }
        segment.words = segment.words?.map { word in
            var word = word
            if word.speaker == from { word.speaker = into }
            return word
        }
        return segment
    }

    /// The merged speaker's voice: both centroids averaged by speech time (the one that has one,
    /// when only one does).
    public static func embedding(of from: TranscriptSpeaker, into: TranscriptSpeaker) -> [Float]? {
        switch (from.embedding, into.embedding) {
        case (let a?, let b?): SpeakerRecognition.merged(a, weight: from.speechSeconds, b, weight: into.speechSeconds)
        case (let a?, nil): a
        case (nil, let b): b
        }
    }
}
