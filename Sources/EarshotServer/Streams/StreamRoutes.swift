import EarshotCore
import EarshotStore
import Foundation
import Hummingbird
import Logging

/// `/api/v1/streams`: stream sources the server ingests and transcribes continuously (admin).
/// The URL is stored as given (it may need credentials to connect) and shown masked everywhere.
struct StreamRoutes: Sendable {
    let store: any Store
    let manager: StreamManager
    let configuration: ServerConfiguration

    struct CreateRequest: Decodable {
        var name: String
        var url: String
        var stallTimeoutSeconds: Double?
        var model: String?
        var language: String?
        /// Label each utterance with its speaker.
        var diarize: Bool?
        /// Start at once (default) or only configure.
        var start: Bool?
    }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.post("streams") { request, context in
            let body = try await decodeJSON(CreateRequest.self, from: request, context: context)
            let source = try validated(body)
            let created = try await store.createStream(source)
            await manager.configurationChanged()
            context.logger.notice("stream created", metadata: ["stream": "\(created.name)", "url": "\(created.maskedURL)"])
            return try jsonResponse(await response(created), status: .created)
        }
        group.get("streams") { request, _ in
            var streams: [StreamResponse] = []
            for source in try await store.streams() { streams.append(await response(source)) }
            return try jsonResponse(StreamList(streams: streams))
        }
        group.get("streams/{id}") { request, context in
            return try jsonResponse(await response(try await store.stream(try Self.streamID(context))))
        }
        group.post("streams/{id}/start") { request, context in
            guard manager.canRun else { throw APIError(.serviceUnavailable, "unavailable", "this server runs no engine for live transcription") }
            let source = try await store.setStreamEnabled(try Self.streamID(context), enabled: true)
            await manager.configurationChanged()
            return try jsonResponse(await response(source))
        }
        group.post("streams/{id}/stop") { request, context in
            let source = try await store.setStreamEnabled(try Self.streamID(context), enabled: false)
            await manager.configurationChanged()
            return try jsonResponse(await response(source))
        }
        group.delete("streams/{id}") { request, context in
            let id = try Self.streamID(context)
            _ = try await store.stream(id)
            try await store.deleteStream(id)
            await manager.configurationChanged()
            manager.forget(id)
            try await AuditTrail.record(.auditDeleted, store: store, context: context, target: "stream:\(id)")
            return Response(status: .noContent)
        }
    }

    private func validated(_ body: CreateRequest) throws -> StreamSource {
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard InputRules.isName(name) else {
            throw APIError.badRequest("invalid_name", "name must be 1-64 letters, digits, '-', '_' or '.'")
        }
        do {
            _ = try StreamURL.validate(body.url, allowFiles: configuration.streamFileSources)
        } catch {
            throw APIError.badRequest("invalid_url", error.message)
        }
        let stall = body.stallTimeoutSeconds ?? configuration.streamStallSeconds
        guard (1...3600).contains(stall) else { throw APIError.badRequest("invalid_stall_timeout", "stall_timeout_seconds must be 1...3600") }
        let model = body.model ?? configuration.model
        guard configuration.allowedModels.contains(model) else {
            throw APIError.badRequest("unknown_model", "model must be one of \(configuration.allowedModels.joined(separator: ", "))")
        }
        if let language = body.language, !InputRules.isLanguageTag(language) {
            throw APIError.badRequest("invalid_language", "language must be a code such as en or pt-BR")
        }
        let diarize = body.diarize ?? false
        if diarize, !manager.canLabelSpeakers {
            throw APIError.badRequest(
                "diarization_unavailable", "this server has no speaker model to label speakers with (pip package resemblyzer; see the README)"
            )
        }
        return StreamSource(
            id: UUID().uuidString.lowercased(), name: name, url: body.url, enabled: body.start ?? true, stallTimeoutSeconds: stall,
            model: model, language: body.language, diarize: diarize, createdAt: Date()
        )
    }

    private func response(_ source: StreamSource) async -> StreamResponse {
        StreamResponse(source, status: await manager.status(of: source))
    }

    static func streamID(_ context: some RequestContext) throws -> String {
        let text = context.parameters.get("id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a stream id") }
        return uuid.uuidString.lowercased()
    }
}

/// A stream as the API shows it: configuration (URL masked) and this server's view of its run.
struct StreamResponse: Encodable, Sendable {
    var id: String
    var name: String
    var url: String
    var enabled: Bool
    var state: StreamState
    var restarts: Int
    var stalls: Int
    var lastError: String?
    var lastAudioAt: Date?
    var retryAt: Date?
    var audioSeconds: Double
    var drafts: Int
    var sessionId: String
    var stallTimeoutSeconds: Double
    var model: String
    var language: String?
    var diarize: Bool
    var createdAt: Date

    init(_ source: StreamSource, status: StreamStatus) {
        id = source.id
        name = source.name
        url = source.maskedURL
        enabled = source.enabled
        state = status.state
        restarts = status.restarts
        stalls = status.stalls
        lastError = status.lastError
        lastAudioAt = status.lastAudioAt
        retryAt = status.retryAt
        audioSeconds = status.audioSeconds
        drafts = status.drafts
        sessionId = source.sessionId
        stallTimeoutSeconds = source.stallTimeoutSeconds
        model = source.model
        language = source.language
        diarize = source.diarize
        createdAt = source.createdAt
    }
}

struct StreamList: Encodable {
    var streams: [StreamResponse]
}
