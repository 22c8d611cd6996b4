import Foundation

/// A timed word, present when word timestamps were requested.
public struct Word: Codable, Sendable, Hashable {
    public var start: Double
    public var end: Double
    public var text: String
    public var probability: Double?

    public init(start: Double, end: Double, text: String, probability: Double? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.probability = probability
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

    public init(
        start: Double, end: Double, text: String, avgLogprob: Double? = nil, noSpeechProb: Double? = nil, words: [Word]? = nil,
        originalText: String? = nil
    ) {
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

    private enum CodingKeys: String, CodingKey {
        // `jobId`, not `jobID`: snake_case encoding writes `job_id`, which decodes back to `jobId`.
        case jobID = "jobId"
        case title, source, language, model, durationSeconds, processingSeconds, createdAt, segments
    }

    public init(
        jobID: JobID, title: String, source: String, language: String, model: String,
        durationSeconds: Double, processingSeconds: Double, createdAt: Date, segments: [Segment]
    ) {
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

    /// All segment texts joined, as a reader would want them.
    public var plainText: String {
        segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
