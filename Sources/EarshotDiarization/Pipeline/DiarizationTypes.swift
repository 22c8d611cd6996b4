/// Who may be speaking, as a job asks.
///
/// `minimum` clamps the speaker count from below and `maximum` from above in the eigengap search
/// (defaults 1 and 8; `maximum` is capped at 20).
public struct SpeakerCountHint: Sendable, Hashable {
    /// The fewest speakers the job expects, or nil for no lower bound (1).
    public var minimum: Int?
    /// The most speakers the job expects, or nil for the default upper bound (8).
    public var maximum: Int?

    /// A hint with optional bounds; nil means "no opinion".
    public init(minimum: Int? = nil, maximum: Int? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The bounds actually searched: 1 ≤ lower ≤ upper ≤ 20.
    var resolvedRange: ClosedRange<Int> {
        let upper = min(max(maximum ?? DiarizationParameters.recommended.maxSpeakers, 1), 20)
        let lower = min(max(minimum ?? 1, 1), upper)
        return lower...upper
    }
}

/// One speaker found in a recording.
public struct DiarizedSpeaker: Sendable, Hashable {
    /// 0-based, in order of first appearance in the turns.
    public var index: Int
    /// 256 values, unit length: the mean of the speaker's 1.0 s window embeddings, L2-normalised.
    /// Compare with an enrolled centroid by dot product; cosine ≥ 0.90 means the same person.
    public var centroid: [Float]
    /// Total length of the speaker's turns in seconds.
    public var speechSeconds: Double

    /// A speaker as the diarizer reports it.
    public init(index: Int, centroid: [Float], speechSeconds: Double) {
        self.index = index
        self.centroid = centroid
        self.speechSeconds = speechSeconds
    }
}

/// A stretch of time attributed to one speaker.
public struct SpeakerTurn: Sendable, Hashable {
    /// Start in seconds from the beginning of the audio.
    public var start: Double
    /// End in seconds (exclusive).
    public var end: Double
    /// Index into ``DiarizationResult/speakers``.
    public var speaker: Int

    /// A turn of `speaker` over [start, end).
    public init(start: Double, end: Double, speaker: Int) {
        self.start = start
        self.end = end
        self.speaker = speaker
    }
}

/// What the diarizer found: the speakers and their turns (sorted by start, non-overlapping).
public struct DiarizationResult: Sendable, Hashable {
    /// Speakers, indexed in order of first appearance.
    public var speakers: [DiarizedSpeaker]
    /// Turns sorted by start time; they never overlap.
    public var turns: [SpeakerTurn]

    /// A result from its parts.
    public init(speakers: [DiarizedSpeaker], turns: [SpeakerTurn]) {
        self.speakers = speakers
        self.turns = turns
    }

    /// No speech found.
    public static let empty = DiarizationResult(speakers: [], turns: [])
}

/// Why diarization or embedding failed (bad weights, unusable audio).
public struct DiarizationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable reason.
    public var description: String

    /// An error with the given reason.
    public init(_ description: String) {
        self.description = description
    }
}
