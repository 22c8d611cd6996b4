import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// `/api/v1/events`: the event log, live (Server-Sent Events) and as pages of JSON.
///
/// Subscribers read the durable log from where they are, at their own pace, and wait on the
/// store's commit signal when they have caught up. The log is the buffer: a slow subscriber
/// costs the others nothing and makes nothing wait, and a reconnect with `Last-Event-ID` resumes
/// with no gap and no duplicate.
struct EventRoutes: Sendable {
    let store: any Store
    let feed: EventFeed
    let maxLag: Int

    static let keepAliveInterval: Duration = .seconds(15)
    static let pageSize = 500
    static let maxCorrelationIDLength = 200

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("events") { request, context in try await stream(request, principal: context.principal) }
        group.get("events/log") { request, context in try await page(request, principal: context.principal) }
    }

    struct Query {
        var filter: EventTypeFilter
        var correlationId: String?
        var after: Int64?
    }

    /// The query of an events request; the audit log is left out for all but admins.
    static func parse(_ request: Request, principal: Principal) throws -> Query {
        let parameters = request.uri.queryParameters
        var filter: EventTypeFilter
        do {
            filter = try EventTypeFilter(parsing: parameters["types"].map(String.init) ?? "")
        } catch {
            throw APIError.badRequest("invalid_types", error.description)
        }
        if !principal.has(.admin) { filter = filter.excluding(family: "audit") }
        var correlationId: String?
        if let text = parameters["correlation_id"].map(String.init), !text.isEmpty {
            guard text.count <= Self.maxCorrelationIDLength else {
                throw APIError.badRequest("invalid_correlation_id", "correlation_id is at most \(Self.maxCorrelationIDLength) characters")
            }
            correlationId = text
        }
        // The SSE reconnect header wins over the query, as browsers' EventSource sends it.
        let afterText = request.headers[HTTPField.Name("Last-Event-ID")!] ?? parameters["after"].map(String.init)
        var after: Int64?
        if let afterText, !afterText.isEmpty {
            guard let value = Int64(afterText.trimmingCharacters(in: CharacterSet.whitespaces)), value >= 0 else {
                throw APIError.badRequest("invalid_after", "after (or Last-Event-ID) must be an event seq, a non-negative integer")
            }
            after = value
        }
        return Query(filter: filter, correlationId: correlationId, after: after)
    }

    /// `GET /api/v1/events/log`: one page of past events, oldest first.
    private func page(_ request: Request, principal: Principal) async throws -> Response {
        let query = try Self.parse(request, principal: principal)
        var limit = 100
        if let text = request.uri.queryParameters["limit"] {
            guard let value = Int(String(text)), (1...Self.pageSize).contains(value) else {
                throw APIError.badRequest("invalid_limit", "limit must be 1...\(Self.pageSize)")
            }
            limit = value
        }
        let after = query.after ?? 0
        let events = try await store.events(after: after, filter: query.filter, correlationId: query.correlationId, limit: limit)
        let latest = try await store.latestEventSeq()
        var audience = EventAudience(principal: principal)
        var shown: [Event] = []
        for event in events where try await audience.admits(event, store: store) { shown.append(event) }
        // The cursor passes hidden events too, so the next page starts after them.
        return try jsonResponse(EventPage(events: shown, nextAfter: events.last?.seq ?? max(after, latest)))
    }

    /// `GET /api/v1/events`: Server-Sent Events from `Last-Event-ID` / `after` (default: from now).
    private func stream(_ request: Request, principal: Principal) async throws -> Response {
        let query = try Self.parse(request, principal: principal)
        let start: Int64 = if let after = query.after { after } else { try await store.latestEventSeq() }
        let store = self.store
        let feed = self.feed
        let maxLag = self.maxLag
        let oldest = try await store.oldestEventSeq()
        let body = ResponseBody { writer in
            Self.adjustSubscribers(by: 1)
            defer { Self.adjustSubscribers(by: -1) }
            // Browsers reconnect after this many milliseconds.
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            if let oldest, start < oldest - 1 {
                // Events the subscriber has not seen were pruned (retention): say so before resuming.
                let notice = #"{"reason":"pruned","resume_from":\#(oldest - 1)}"#
                try await writer.write(ByteBuffer(string: "event: resync\ndata: \(notice)\n\n"))
            }
            var subscription = EventSubscription(store: store, feed: feed, query: query, maxLag: maxLag, from: start)
            var audience = EventAudience(principal: principal)
            // At shutdown the stream ends (the client reconnects with Last-Event-ID); waking every
            // waiting stream is how each notices.
            try await withGracefulShutdownHandler {
                streaming: while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    switch try await subscription.next() {
                    case .events(let events):
                        guard !events.isEmpty else { continue }
                        var chunk = ""
                        for entry in events where try await audience.admits(entry.event, store: store) {
                            chunk += "id: \(entry.event.seq)\nevent: \(entry.event.type.rawValue)\ndata: \(entry.json)\n\n"
                        }
                        if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                    case .idle:
                        if !Task.isCancelled { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                    case .lagging(let resumeFrom):
                        // Say where to resume and end; the client reconnects from there.
                        try await writer.write(ByteBuffer(string: "event: resync\ndata: {\"reason\":\"lagging\",\"resume_from\":\(resumeFrom)}\n\n"))
                        break streaming
                    }
                }
            } onGracefulShutdown: {
                store.eventSignal.notify()
            }
            try await writer.finish(nil)
        }
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8",
            .cacheControl: "no-cache",
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: body)
    }
}

extension EventRoutes {
    /// How far a subscriber has read the log after a page of at most `limit` events: to the page's
    /// last event when the page is full (more may follow), else to the head read before the query, because every
    /// matching event up to it was in the page. Measuring lag from here, not from the last
    /// matching event, keeps a narrowly filtered subscriber from looking behind.
    static func scanned(upTo last: Int64, page: [Event], limit: Int, head: Int64) -> Int64 {
        let lastSent = page.last?.seq ?? last
        return page.count >= limit ? lastSent : max(lastSent, head)
    }

    private static let subscriberCount = Mutex(0)

    /// Open streams (SSE and WebSocket), as the `earshot_event_subscribers` gauge.
    static func adjustSubscribers(by delta: Int) {
        let count = subscriberCount.withLock { count in
            count += delta
            return count
        }
        Gauge(label: "earshot_event_subscribers").record(count)
    }
}

/// `GET /api/v1/events/log`.
struct EventPage: Encodable {
    var events: [Event]
    /// Pass as `after` to get the next page.
    var nextAfter: Int64
}
