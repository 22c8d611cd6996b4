import Foundation

/// Someone who speaks in a transcript, as diarization found them.
public struct TranscriptSpeaker: Codable, Sendable, Hashable {
    /// `S1`, `S2`, … in order of first appearance: what segments and words refer to.
    public var id: String
    /// The name a person gave this speaker in this transcript.
    public var name: String?
    /// The enrolled speaker whose voice this matched, and that speaker's name (looked up when read,
    /// so renaming an enrolled speaker renames them everywhere).
    public var enrolledId: String?
    public var enrolledName: String?
    /// Seconds of speech attributed to this speaker.
    public var speechSeconds: Double
    /// The voice's centroid (unit length): how enrolled speakers are recognised. Nodes send it with
    /// the transcript; exports leave it out.
    public var embedding: [Float]?

    public init(
        id: String, name: String? = nil, enrolledId: String? = nil, enrolledName: String? = nil, speechSeconds: Double, embedding: [Float]? = nil
    ) {
        self.id = id
        self.name = name
        self.enrolledId = enrolledId
        self.enrolledName = enrolledName
        self.speechSeconds = speechSeconds
        self.embedding = embedding
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, enrolledId, enrolledName, speechSeconds, embedding, displayName
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        enrolledId = try container.decodeIfPresent(String.self, forKey: .enrolledId)
        enrolledName = try container.decodeIfPresent(String.self, forKey: .enrolledName)
        speechSeconds = try container.decode(Double.self, forKey: .speechSeconds)
        embedding = try container.decodeIfPresent([Float].self, forKey: .embedding)
    }

    /// Written with its ``displayName``, so readers of the JSON need not know the naming rule.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(enrolledId, forKey: .enrolledId)
        try container.encodeIfPresent(enrolledName, forKey: .enrolledName)
        try container.encode(speechSeconds, forKey: .speechSeconds)
        try container.encodeIfPresent(embedding, forKey: .embedding)
        try container.encode(displayName, forKey: .displayName)
    }

    /// What exports and pages call this speaker: a person's name for them, the enrolled speaker's
    /// name, or "Speaker 2".
    public var displayName: String {
        if let name, !name.isEmpty { return name }
        if let enrolledName, !enrolledName.isEmpty { return enrolledName }
        return "Speaker \(id.dropFirst())"
    }

    /// The id of the speaker found `index`-th (0-based).
    public static func id(forIndex index: Int) -> String { "S\(index + 1)" }

    /// Speaker ids: `S` and 1–3 digits.
    public static func isValidId(_ text: String) -> Bool {
        text.count >= 2 && text.count <= 4 && text.first == "S" && text.dropFirst().allSatisfy(\.isASCII) && Int(text.dropFirst()).map { $0 >= 1 } == true
    }

    /// Names people give speakers: 1–100 characters on one line.
    public static func validate(name: String) throws(SpeakerInputError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count), !trimmed.contains(where: \.isNewline) else {
            throw SpeakerInputError(code: "invalid_name", message: "a speaker's name is 1-100 characters on one line")
        }
        return trimmed
    }
}

/// A voice kept so that it is recognised in later recordings.
public struct EnrolledSpeaker: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// Unit-length centroid of the voice.
    public var embedding: [Float]
    /// Where the voice was taken from (`job:<id>/S2`).
    public var source: String?
    public var createdAt: Date

    public init(id: String = UUID().uuidString.lowercased(), name: String, embedding: [Float], source: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.embedding = embedding
        self.source = source
        self.createdAt = createdAt
    }
}

/// Speaker input that cannot be accepted, with a code for the API's error body.
public struct SpeakerInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
