import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// Speakers: a diarized transcript's (`/api/v1/jobs/{id}/speakers`: name, merge, enroll) and the
/// enrolled voices recognised in new recordings (`/api/v1/speakers`). Voice embeddings never leave
/// the server.
struct SpeakerRoutes: Sendable {
    let store: any Store

    struct SpeakerList: Encodable {
        var speakers: [TranscriptSpeaker]
    }

    struct EnrolledView: Encodable {
        var id: String
        var name: String
        var source: String?
        var createdAt: Date

        init(_ speaker: EnrolledSpeaker) {
            id = speaker.id
            name = speaker.name
            source = speaker.source
            createdAt = speaker.createdAt
        }
    }

    struct EnrolledList: Encodable {
        var speakers: [EnrolledView]
    }

    struct NameRequest: Decodable {
        var name: String?
    }

    struct MergeRequest: Decodable {
        var into: String
    }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("jobs/{id}/speakers") { _, context in
            let job = try await JobAccess.readable(try JobRoutes.jobID(context), context: context, store: store)
            return try jsonResponse(Self.list(try await transcript(job.id)))
        }
        group.patch("jobs/{id}/speakers/{speaker}") { request, context in
            let job = try await JobAccess.editable(try JobRoutes.jobID(context), context: context, store: store)
            let body = try await decodeJSON(NameRequest.self, from: request, context: context, limit: 16 * 1024)
            let name = try body.name.flatMap { $0.isEmpty ? nil : try TranscriptSpeaker.validate(name: $0) }
            let renamed = try await store.renameTranscriptSpeaker(job.id, speakerId: try Self.speakerID(context), name: name, now: Date())
            return try jsonResponse(Self.list(renamed))
        }
        group.post("jobs/{id}/speakers/{speaker}/merge") { request, context in
            let job = try await JobAccess.editable(try JobRoutes.jobID(context), context: context, store: store)
            let body = try await decodeJSON(MergeRequest.self, from: request, context: context, limit: 16 * 1024)
            let from = try Self.speakerID(context)
            guard TranscriptSpeaker.isValidId(body.into), body.into != from else {
                throw APIError.badRequest("invalid_speaker", "into must be another speaker of the transcript (S1, S2, …)")
            }
            return try jsonResponse(Self.list(try await store.mergeTranscriptSpeakers(job.id, speakerId: from, intoId: body.into, now: Date())))
        }
        group.post("jobs/{id}/speakers/{speaker}/enroll") { request, context in
            let job = try await JobAccess.readable(try JobRoutes.jobID(context), context: context, store: store)
            let body = try await decodeJSON(NameRequest.self, from: request, context: context, limit: 16 * 1024)
            let name = try TranscriptSpeaker.validate(name: body.name ?? "")
            let speakerId = try Self.speakerID(context)
            guard let speaker = try await transcript(job.id).speaker(speakerId) else { throw StoreError.speakerNotFound(job.id, speakerId) }
            guard let embedding = speaker.embedding, !embedding.isEmpty else {
                throw APIError(.conflict, "no_voice", "speaker \(speakerId) of job \(job.id) has no stored voice to enroll")
            }
            let enrolled = try await store.enrollSpeaker(
                EnrolledSpeaker(name: name, embedding: embedding, source: "job:\(job.id)/\(speakerId)", createdAt: Date()),
                fromTranscript: job.id, speakerId: speakerId, now: Date()
            )
            return try jsonResponse(EnrolledView(enrolled), status: .created)
        }

        group.get("speakers") { _, _ in
            try jsonResponse(EnrolledList(speakers: try await store.enrolledSpeakers().map(EnrolledView.init)))
        }
        group.patch("speakers/{id}") { request, context in
            let body = try await decodeJSON(NameRequest.self, from: request, context: context, limit: 16 * 1024)
            let name = try TranscriptSpeaker.validate(name: body.name ?? "")
            return try jsonResponse(EnrolledView(try await store.renameEnrolledSpeaker(try Self.enrolledID(context), name: name)))
        }
        group.delete("speakers/{id}") { _, context in
            try await store.deleteEnrolledSpeaker(try Self.enrolledID(context))
            return Response(status: .noContent)
        }
    }

    private func transcript(_ id: JobID) async throws -> Transcript {
        guard let transcript = try await store.transcript(of: id) else { throw StoreError.transcriptNotFound(id) }
        return transcript
    }

    /// The transcript's speakers as the API shows them: without their voices.
    static func list(_ transcript: Transcript) -> SpeakerList {
        SpeakerList(speakers: transcript.speakers.map { speaker in
            var speaker = speaker
            speaker.embedding = nil
            return speaker
        })
    }

    static func speakerID(_ context: EarshotRequestContext) throws -> String {
        let text = context.parameters.get("speaker") ?? ""
        guard TranscriptSpeaker.isValidId(text) else {
            throw APIError.badRequest("invalid_speaker", "'\(text.prefix(16))' is not a speaker id (S1, S2, …)")
        }
        return text
    }

    static func enrolledID(_ context: EarshotRequestContext) throws -> String {
        let text = context.parameters.get("id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a speaker id") }
        return uuid.uuidString.lowercased()
    }
}
