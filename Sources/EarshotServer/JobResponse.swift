import EarshotCore
import Foundation
import Hummingbird
import NIOCore

/// A job as the API shows it (snake_case JSON).
struct JobResponse: Encodable, Sendable {
    struct Media: Encodable, Sendable {
        var filename: String
        var contentType: String?
        var sizeBytes: Int64
        var durationSeconds: Double?
        var sha256: String
        var removedAt: Date?
    }

    struct LeaseInfo: Encodable, Sendable {
        var holder: String
        var expiresAt: Date
    }

    var id: String
    var state: JobState
    var priority: Int
    var model: String
    var language: String?
    var beamSize: Int
    var wordTimestamps: Bool
    var prompt: String?
    var temperature: Double?
    var diarization: DiarizationOptions?
    var progress: Double
    var attempts: Int
    var maxAttempts: Int
    var media: Media
    var error: JobError?
    var lease: LeaseInfo?
    var createdAt: Date
    var updatedAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var retryAfter: Date?
    /// For a reprocess job, the live draft it improves.
    var draftId: String?
    /// What the job's origin knew (a feed's podcast and episode).
    var metadata: [String: String]?
    /// The user who submitted it (absent without accounts, or for the server's own jobs).
    var ownerId: String?

    init(_ job: Job) {
        id = job.id.rawValue
        ownerId = job.ownerId
        state = job.state
        priority = job.priority
        model = job.options.model
        language = job.options.language
        beamSize = job.options.beamSize
        wordTimestamps = job.options.wordTimestamps
        prompt = job.options.prompt
        temperature = job.options.temperature
        diarization = job.options.diarization
        progress = (job.progress * 1000).rounded() / 1000
        attempts = job.attemptsUsed
        maxAttempts = job.maxAttempts
        media = Media(
            filename: job.media.filename, contentType: job.media.contentType, sizeBytes: job.media.sizeBytes,
            durationSeconds: job.media.durationSeconds, sha256: job.media.sha256, removedAt: job.media.removedAt
        )
        error = job.lastError
        if let holder = job.leaseHolder, let expiry = job.leaseExpiresAt {
            lease = LeaseInfo(holder: holder, expiresAt: expiry)
        }
        createdAt = job.createdAt
        updatedAt = job.updatedAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        retryAfter = job.state == .queued ? job.notBefore : nil
        draftId = job.draftId
        metadata = job.metadata
    }
}

struct JobListResponse: Encodable, Sendable {
    var jobs: [JobResponse]
    var nextCursor: String?
}

struct AttemptListResponse: Encodable, Sendable {
    var attempts: [Attempt]
}

/// Encodes a value in Earshot's JSON dialect as a response.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try EarshotJSON.encoder().encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
}

func textResponse(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
}
