import AsyncHTTPClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

/// Follows a server's event stream (`GET /api/v1/events`), reconnecting after a dropped
/// connection with `Last-Event-ID`, so no event is missed or repeated across reconnects.
public struct EventFollower: Sendable {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// `job.*,node.online` style patterns; empty for everything.
    public var types: String
    /// Only events of this job or draft.
    public var correlationId: String?

    public init(baseURL: URL, types: String = "", correlationId: String? = nil) {
        self.baseURL = baseURL
        self.types = types
        self.correlationId = correlationId
    }

    /// What the stream delivers besides events.
    public enum Item: Sendable {
        case event(Event)
        /// The server pruned events this follower had not seen; it resumes from `resumeFrom`.
        case resync(resumeFrom: Int64)
        /// The connection dropped; the follower reconnects after `retryIn`.
        case disconnected(reason: String, retryIn: Duration)
    }

    /// Delivers items until the task is cancelled. `after` replays from that seq; nil starts with
    /// the next event. A 4xx answer (a bad filter) ends the stream with ``EarshotAPIError``.
    public func follow(after: Int64?) -> AsyncThrowingStream<Item, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var last = after
                var failures = 0
                while !Task.isCancelled {
                    do {
                        try await connect(after: last) { item in
                            if case .event(let event) = item { last = event.seq }
                            failures = 0
                            continuation.yield(item)
                        }
                        // The server ended the stream (shutdown): reconnect at once.
                    } catch let error as EarshotAPIError where (400..<500).contains(error.status) {
                        continuation.finish(throwing: error)
                        return
                    } catch {
                        if Task.isCancelled { break }
                        let delays: [Duration] = [.seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
                        let delay = delays[min(failures, delays.count - 1)]
                        failures += 1
                        continuation.yield(.disconnected(reason: String(describing: error), retryIn: delay))
                        try? await Task.sleep(for: delay)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func connect(after: Int64?, deliver: (Item) -> Void) async throws {
        var components = URLComponents(url: baseURL.appendingPathComponent("api/v1/events"), resolvingAgainstBaseURL: false)
        var query: [URLQueryItem] = []
        if !types.isEmpty { query.append(URLQueryItem(name: "types", value: types)) }
        if let correlationId { query.append(URLQueryItem(name: "correlation_id", value: correlationId)) }
        components?.queryItems = query.isEmpty ? nil : query
        guard let url = components?.url else { throw EarshotConnectionError(url: baseURL.absoluteString, reason: "bad URL") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let after { request.headers.add(name: "Last-Event-ID", value: String(after)) }
        // A stream lasts as long as the server runs; stalls are caught by the keep-alive comments
        // (every 15 s) against the client's read timeout.
        let response: HTTPClientResponse
        do {
            response = try await EarshotHTTPClient.shared.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw HTTPTransport.connectionError(error, url: request.url)
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw EarshotAPIError(status: Int(response.status.code), body: Data(body.readableBytesView))
        }
        var parser = ServerSentEventParser()
        let decoder = EarshotJSON.decoder()
        for try await chunk in response.body {
            for message in parser.feed(String(buffer: chunk)) {
                switch message.event {
                case "resync":
                    let notice = try? JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any]
                    deliver(.resync(resumeFrom: (notice?["resume_from"] as? NSNumber)?.int64Value ?? 0))
                default:
                    deliver(.event(try decoder.decode(Event.self, from: Data(message.data.utf8))))
                }
            }
        }
    }
}

/// Splits a `text/event-stream` into messages (the WHATWG rules Earshot's server needs).
public struct ServerSentEventParser: Sendable {
    public struct Message: Sendable, Hashable {
        public var id: String?
        public var event: String?
        public var data: String
    }

    private var pending = ""
    private var current = Message(data: "")
    private var hasData = false

    public init() {}

    /// Adds received text; returns the messages it completed.
    public mutating func feed(_ text: String) -> [Message] {
        pending += text
        var messages: [Message] = []
        while let newline = pending.firstIndex(of: "\n") {
            var line = String(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if hasData { messages.append(current) }
                current = Message(data: "")
                hasData = false
            } else if !line.hasPrefix(":") {
                let field = line.prefix { $0 != ":" }
                var value = line.dropFirst(field.count)
                if value.hasPrefix(":") { value = value.dropFirst() }
                if value.hasPrefix(" ") { value = value.dropFirst() }
                switch field {
                case "id": current.id = String(value)
                case "event": current.event = String(value)
                case "data":
                    current.data += (hasData ? "\n" : "") + value
                    hasData = true
                default: break
                }
            }
        }
        return messages
    }
}
