import EarshotCore
import EarshotStore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// `GET /api/v1/ws`: the event stream over a WebSocket, on which clients holding a node key or
/// the admin token may also publish events of the kinds no server state owns (drafts, revisions,
/// plugin failures). Published events are validated, stamped and logged like the server's own.
///
/// Each connection reads the durable log at its own pace, so a slow one holds up nobody. One
/// that falls more than `event_subscriber_max_lag` events behind the head, and keeps losing
/// ground, is told where to resume (`resync`) and closed: it reconnects with `after` and
/// catches up from the log (see ``EventSubscription``).
struct EventSocketRoute: Sendable {
    let store: any Store
    let feed: EventFeed
    let configuration: ServerConfiguration

    static let maxMessageBytes = 1 << 20
    /// Types a client may publish. `job.*`, `node.*` and `transcript.created` record the store's
    /// own state changes, so only the store writes them.
    static let publishable: Set<EventType> = [.draftStarted, .draftEnded, .transcriptRevised, .pluginFailed]

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.ws("ws", shouldUpgrade: { request, context in
            _ = try EventRoutes.parse(request, principal: context.principal)
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let principal = context.requestContext.principal
            let query = try EventRoutes.parse(context.request, principal: principal)
            try await serve(
                query: query, audience: EventAudience(principal: principal), source: publisher(principal), inbound: inbound, outbound: outbound,
                logger: context.logger
            )
        })
    }

    /// Who may publish on this connection (the access-control middleware has checked the
    /// credentials): `node:<id>` for a node key, `admin` for an administrator (or the local user of
    /// a server without accounts or an admin token), nil for readers.
    private func publisher(_ principal: Principal) -> String? {
        switch principal {
        case .node(let id): Node.leaseHolder(forNodeID: id)
        case .local: configuration.adminToken.isEmpty ? "admin" : nil
        case .adminToken: "admin"
        case .user: principal.has(.admin) ? "admin" : nil
        case .anonymous: nil
        }
    }

    private func serve(
        query: EventRoutes.Query, audience: EventAudience, source: String?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        logger: Logger
    ) async throws {
        let start: Int64 = if let after = query.after { after } else { try await store.latestEventSeq() }
        EventRoutes.adjustSubscribers(by: 1)
        defer { EventRoutes.adjustSubscribers(by: -1) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await pushEvents(after: start, query: query, audience: audience, outbound: outbound)
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    guard case .text(let text) = message else {
                        try await send(.failure(requestID: nil, code: "invalid_message", message: "send JSON text messages"), outbound)
                        continue
                    }
                    try await send(await publish(text, source: source), outbound)
                }
            }
            // Either side ending ends the connection: the client left, or it was told to resync.
            try await group.next()
            group.cancelAll()
        }
    }

    private func pushEvents(
        after start: Int64, query: EventRoutes.Query, audience: EventAudience, outbound: WebSocketOutboundWriter
    ) async throws {
        var subscription = EventSubscription(store: store, feed: feed, query: query, maxLag: configuration.eventSubscriberMaxLag, from: start)
        var audience = audience
        while !Task.isCancelled {
            switch try await subscription.next() {
            case .events(let events):
                for entry in events where try await audience.admits(entry.event, store: store) {
                    // The event's JSON is encoded once per server, not once per subscriber.
                    try await outbound.writeTextMessage(#"{"event":"# + entry.json + #","kind":"event"}"#)
                }
            case .idle:
                continue
            case .lagging(let resumeFrom):
                // Returning ends the handler, which closes the socket.
                try await send(.resync(resumeFrom: resumeFrom), outbound)
                return
            }
        }
    }

    /// Validates, stamps and logs one published event.
    private func publish(_ text: String, source: String?) async -> SocketMessage {
        let request: PublishRequest
        do {
            request = try EarshotJSON.decoder().decode(PublishRequest.self, from: Data(text.utf8))
        } catch {
            return .failure(requestID: nil, code: "invalid_message", message: "not a publish message: \(error)")
        }
        guard let source else {
            return .failure(requestID: request.requestId, code: "unauthorized", message: "publishing needs a node key or the admin token")
        }
        guard let type = EventType(rawValue: request.type), Self.publishable.contains(type) else {
            let allowed = Self.publishable.map(\.rawValue).sorted().joined(separator: ", ")
            return .failure(requestID: request.requestId, code: "forbidden_type", message: "clients may publish \(allowed), not \(request.type)")
        }
        let data: EventData
        do {
            data = try EventData.decode(type, from: request.data.encoded(), using: EarshotJSON.decoder())
        } catch {
            return .failure(requestID: request.requestId, code: "invalid_event", message: "data does not fit \(type.rawValue): \(error)")
        }
        do {
            let event = try await store.appendEvent(
                NewEvent(type: type, correlationId: request.correlationId, causationId: request.causationId, source: source, data: data),
                now: Date()
            )
            return .published(requestID: request.requestId, event: event)
        } catch {
            return .failure(requestID: request.requestId, code: "internal_error", message: "the event could not be stored")
        }
    }

    private func send(_ message: SocketMessage, _ outbound: WebSocketOutboundWriter) async throws {
        // Fragmented to the frame size, so clients with default limits can take large events.
        try await outbound.writeTextMessage(String(decoding: try EarshotJSON.encoder().encode(message), as: UTF8.self))
    }
}

/// What a client sends to publish: `{"kind":"publish","type":…,"data":{…}}`.
struct PublishRequest: Decodable {
    var kind: String
    var requestId: String?
    var type: String
    var correlationId: String?
    var causationId: String?
    var data: RawJSON
}

/// What the server sends on the socket.
enum SocketMessage: Encodable {
    case event(Event)
    case resync(resumeFrom: Int64)
    case published(requestID: String?, event: Event)
    case failure(requestID: String?, code: String, message: String)

    private enum Keys: String, CodingKey {
        case kind, event, resumeFrom, requestId, error
    }

    private struct Failure: Encodable {
        var code: String
        var message: String
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .event(let event):
            try container.encode("event", forKey: .kind)
            try container.encode(event, forKey: .event)
        case .resync(let resumeFrom):
            try container.encode("resync", forKey: .kind)
            try container.encode(resumeFrom, forKey: .resumeFrom)
        case .published(let requestID, let event):
            try container.encode("published", forKey: .kind)
            try container.encodeIfPresent(requestID, forKey: .requestId)
            try container.encode(event, forKey: .event)
        case .failure(let requestID, let code, let message):
            try container.encode("error", forKey: .kind)
            try container.encodeIfPresent(requestID, forKey: .requestId)
            try container.encode(Failure(code: code, message: message), forKey: .error)
        }
    }
}

/// Any JSON value, kept as it came so it can be decoded again as the event type's data.
struct RawJSON: Decodable {
    let value: Any?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = nil
        } else if let bool = try? container.decode(Bool.self) {
            value = bool
        } else if let number = try? container.decode(Double.self) {
            value = number
        } else if let string = try? container.decode(String.self) {
            value = string
        } else if let array = try? container.decode([RawJSON].self) {
            value = array.map(\.value)
        } else {
            value = try container.decode([String: RawJSON].self).mapValues(\.value)
        }
    }

    func encoded() throws -> Data {
        try JSONSerialization.data(withJSONObject: value ?? NSNull(), options: [.fragmentsAllowed])
    }
}
