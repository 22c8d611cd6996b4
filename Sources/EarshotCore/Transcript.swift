import Foundation

/// A timed word, present when word timestamps were requested.
public struct Word: Codable, Sendable, Hashable {
    public var start: Double
    public var end: Double
    public var text: String
    public var probability: Double?
    /// Who said it (a ``TranscriptSpeaker/id``), when the job asked for diarization.
    public var speaker: String?

    public init(start: Double, end: Double, text: String, probability: Double? = nil, speaker: String? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.probability = probability
        self.speaker = speaker
    }
}

/// A stretch of speech with its text and the engine's confidence figures.
public struct Segment: Codable, Sendable, Hashable {
    public var start: Double
    public var end: Double
    public var text: String
    public var avgLogprob: Double?
    public var noSpeechProb: Double?
    public var words: [Word]?
    /// The recognizer's text, present once the segment was revised (`text` is then the winning
    /// revision's, and `words` still time the original).
    public var originalText: String?
    /// Who said most of it (a ``TranscriptSpeaker/id``), when the job asked for diarization.
    public var speaker: String?

    public init(
        start: Double, end: Double, text: String, avgLogprob: Double? = nil, noSpeechProb: Double? = nil, words: [Word]? = nil,
        originalText: String? = nil, speaker: String? = nil
    ) {
        self.speaker = speaker
        self.start = start
        self.end = end
        self.text = text
        self.avgLogprob = avgLogprob
        self.noSpeechProb = noSpeechProb
        self.words = words
        self.originalText = originalText
    }
}

/// The stored result of a successful job.
public struct Transcript: Codable, Sendable, Hashable {
    public var jobID: JobID
    /// Shown in exports; the uploaded file's name by default.
    public var title: String
    /// Where the audio came from (file name or URL).
    public var source: String
    public var language: String
    public var model: String
    public var durationSeconds: Double
    public var processingSeconds: Double
    public var createdAt: Date
    public var segments: [Segment]
    /// Who speaks, when the job asked for diarization; empty otherwise.
    public var speakers: [TranscriptSpeaker]

    private enum CodingKeys: String, CodingKey {
        // `jobId`, not `jobID`: snake_case encoding writes `job_id`, which decodes back to `jobId`.
        case jobID = "jobId"
        case title, source, language, model, durationSeconds, processingSeconds, createdAt, segments, speakers
    }

    public init(
        jobID: JobID, title: String, source: String, language: String, model: String,
        durationSeconds: Double, processingSeconds: Double, createdAt: Date, segments: [Segment], speakers: [TranscriptSpeaker] = []
    ) {
        self.speakers = speakers
        self.jobID = jobID
        self.title = title
        self.source = source
        self.language = language
        self.model = model
        self.durationSeconds = durationSeconds
        self.processingSeconds = processingSeconds
        self.createdAt = createdAt
        self.segments = segments
    }

    /// Transcripts from before diarization (and from nodes that send none) have no `speakers`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try container.decode(JobID.self, forKey: .jobID)
        title = try container.decode(String.self, forKey: .title)
        source = try container.decode(String.self, forKey: .source)
        language = try container.decode(String.self, forKey: .language)
        model = try container.decode(String.self, forKey: .model)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
        processingSeconds = try container.decode(Double.self, forKey: .processingSeconds)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        segments = try container.decode([Segment].self, forKey: .segments)
        speakers = try container.decodeIfPresent([TranscriptSpeaker].self, forKey: .speakers) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(title, forKey: .title)
        try container.encode(source, forKey: .source)
        try container.encode(language, forKey: .language)
        try container.encode(model, forKey: .model)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(processingSeconds, forKey: .processingSeconds)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(segments, forKey: .segments)
        if !speakers.isEmpty { try container.encode(speakers, forKey: .speakers) }
    }

    /// The speaker with this id.
    public func speaker(_ id: String?) -> TranscriptSpeaker? {
        guard let id else { return nil }
        return speakers.first { $0.id == id }
    }

    /// All segment texts joined, as a reader would want them.
    public var plainText: String {
        segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
