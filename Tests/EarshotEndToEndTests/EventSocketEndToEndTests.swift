import EarshotCore
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing
import WSClient

/// `GET /api/v1/ws` against a real `earshot serve`, with a real WebSocket client.
@Suite("Event WebSocket end to end", .serialized)
struct EventSocketEndToEndTests {
    static let adminToken = "ws-admin-token"

    @Test("clients with a key publish permitted events, validated and stamped; subscribers receive them; others are refused")
    func publishAndSubscribe() async throws {
        let directory = try TestEnvironment.temporaryDirectory("ws")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken])
        let nodeConfig = try await NodeProcess.register(name: "capture", server: server, adminToken: Self.adminToken, directory: directory)
        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: nodeConfig))) as? [String: Any])
        let nodeKey = try #require(saved["api_key"] as? String)
        let nodeID = try #require(saved["node_id"] as? String)
        let base = "ws://127.0.0.1:\(server.baseURL.port ?? 0)/api/v1/ws"

        // A read-only subscriber to drafts, connected before anything is published.
        async let subscribed = Self.session(base + "?types=draft.*", expecting: 2, sending: [])
        try await EventsEndToEndTests.waitForSubscribers(server)

        // The publisher subscribes to something that will not happen, so only replies come back.
        let replies = try await Self.session(base + "?types=node.offline", bearer: nodeKey, expecting: 5, sending: [
            #"{"kind":"publish","request_id":"1","type":"draft.started","correlation_id":"d-1","data":{"draft_id":"d-1"}}"#,
            #"{"kind":"publish","request_id":"2","type":"job.created","data":{"job_id":"x","state":"queued"}}"#,
            #"{"kind":"publish","request_id":"3","type":"draft.ended","correlation_id":"d-1","data":{"nothing":true}}"#,
            #"not json"#,
            #"{"kind":"publish","request_id":"5","type":"draft.ended","correlation_id":"d-1","data":{"draft_id":"d-1"}}"#,
        ])
        func reply(_ id: String) -> Reply? { replies.first { $0.requestId == id } }
        #expect(reply("1")?.kind == "published")
        #expect(reply("1")?.event?.source == "node:\(nodeID)")
        #expect((reply("1")?.event?.seq ?? 0) > 0)
        #expect(reply("2")?.error?.code == "forbidden_type")
        #expect(reply("3")?.error?.code == "invalid_event")
        #expect(replies.contains { $0.requestId == nil && $0.error?.code == "invalid_message" })
        #expect(reply("5")?.kind == "published")

        let received = try await subscribed
        #expect(received.map(\.kind) == ["event", "event"])
        #expect(received.compactMap(\.event) == [reply("1")?.event, reply("5")?.event].compactMap { $0 })

        // The published events are in the log like any other.
        let log = try await EventsEndToEndTests.wholeLog(server)
        #expect(log.filter { $0.type.family == "draft" }.map(\.correlationId) == ["d-1", "d-1"])

        // Without a key nothing can be published; with a wrong key the upgrade is refused.
        let anonymous = try await Self.session(base + "?types=node.offline", expecting: 1, sending: [
            #"{"kind":"publish","request_id":"a","type":"draft.started","data":{"draft_id":"d-2"}}"#,
        ])
        #expect(anonymous.first?.error?.code == "unauthorized")
        await #expect(throws: (any Error).self) {
            _ = try await Self.session(base, bearer: "esk_" + String(repeating: "0", count: 64), expecting: 1, sending: [])
        }
    }

    @Test("1 stalled and 20 fast subscribers, 5,000 events: the fast ones get every event, memory stays bounded, the stalled one gets resync and resumes from the log", .takesTurns)
    func slowSubscriberIsCutOff() async throws {
        let directory = try TestEnvironment.temporaryDirectory("ws-slow")
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"]
        )
        let base = "ws://127.0.0.1:\(server.baseURL.port ?? 0)/api/v1/ws?types=plugin.failed"
        let count = 5_000
        // ~2 kB each, 10 MB in all: more than loopback socket buffers hold for a reader that stops.
        let filler = String(repeating: "x", count: 2_000)
        let messages = (0..<count).map { index in
            #"{"kind":"publish","request_id":"\#(index)","type":"plugin.failed","data":{"plugin":"load","message":"\#(filler)"}}"#
        }
        let residentBefore = server.memoryKiB("VmRSS")

        let release = AsyncStream<Void>.makeStream()
        async let slow = Self.stalledSession(base, releasedBy: release.stream)
        async let fast = withThrowingTaskGroup(of: [Reply].self) { group in
            for _ in 0..<20 { group.addTask { try await Self.session(base, expecting: count, sending: []) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await EventsEndToEndTests.waitForSubscribers(server, atLeast: 21)
        let started = ContinuousClock.now
        let acks = try await Self.session(base.replacingOccurrences(of: "plugin.failed", with: "node.offline"), expecting: count, sending: messages)
        #expect(acks.allSatisfy { $0.kind == "published" })
        let publishedIn = ContinuousClock.now - started
        // The slow subscriber read nothing while all 5,000 were published; it reads again now (a
        // client that stays silent longer is closed by the WebSocket ping timeout instead).
        release.continuation.yield()

        // Every fast subscriber has every event, in order.
        let fastResults = try await fast
        let published = acks.compactMap(\.event?.seq)
        #expect(fastResults.count == 20)
        for result in fastResults { #expect(result.compactMap(\.event?.seq) == published) }
        print("published 5,000 events in \(publishedIn); 20 fast subscribers had them all \(ContinuousClock.now - started) after the first")
        // The hub holds a bounded window, not a backlog per subscriber: 21 subscribers of 10 MB each
        // would be over 200 MB if it queued for each.
        let peakGrowthMiB = (server.memoryKiB("VmHWM") - residentBefore) / 1024
        #expect(peakGrowthMiB < 150, "server peak memory grew by \(peakGrowthMiB) MiB")

        let slowMessages = try await slow
        let resync = try #require(slowMessages.last, "the slow subscriber is told to resync")
        #expect(resync.kind == "resync")
        let resumeFrom = try #require(resync.resumeFrom)
        let seen = slowMessages.compactMap(\.event?.seq)
        #expect(seen.count < count, "it was cut off before the end")
        #expect(seen.allSatisfy { $0 <= resumeFrom })
        // Reconnecting from where it was told, it gets the rest: nothing lost, nothing twice.
        let rest = try await Self.session(base + "&after=\(resumeFrom)", expecting: published.filter { $0 > resumeFrom }.count, sending: [])
        #expect(seen + rest.compactMap(\.event?.seq) == published)
    }

    /// A subscriber that connects and reads nothing until released, then reads until the server closes.
    static func stalledSession(_ url: String, releasedBy release: AsyncStream<Void>) async throws -> [Reply] {
        let collected = Mutex<[String]>([])
        var logger = Logger(label: "ws-test-slow")
        logger.logLevel = .warning
        _ = try await WebSocketClient.connect(url: url, logger: logger) { inbound, _, _ in
            for await _ in release { break }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { collected.withLock { $0.append(text) } }
            }
        }
        return try collected.withLock { $0 }.map { try EarshotJSON.decoder().decode(Reply.self, from: Data($0.utf8)) }
    }

    struct Reply: Decodable, Sendable {
        struct Failure: Decodable, Sendable {
            var code: String
            var message: String
        }

        var kind: String
        var requestId: String?
        var event: Event?
        var error: Failure?
        var resumeFrom: Int64?
    }

    /// Connects, sends `messages`, and collects replies until `count` arrived.
    static func session(_ url: String, bearer: String? = nil, expecting count: Int, sending messages: [String]) async throws -> [Reply] {
        var configuration = WebSocketClientConfiguration()
        if let bearer { configuration.additionalHeaders[.authorization] = "Bearer \(bearer)" }
        let collected = Mutex<[String]>([])
        var logger = Logger(label: "ws-test")
        logger.logLevel = .warning
        _ = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            // At most 100 messages in flight: a client that sends everything before reading fills
            // the socket both ways with replies and stalls the exchange.
            var inbound = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            var sent = 0
            while true {
                let window = messages[sent..<min(sent + 100, messages.count)]
                for message in window { try await outbound.writeTextMessage(message) }
                sent += window.count
                let target = sent == messages.count ? count : min(sent, count)
                while collected.withLock({ $0.count }) < target {
                    guard let message = try await inbound.next() else { return }
                    if case .text(let text) = message { collected.withLock { $0.append(text) } }
                }
                if collected.withLock({ $0.count }) >= count { return }
            }
        }
        let texts = collected.withLock { $0 }
        guard texts.count >= count else { throw TestFailure("socket closed after \(texts.count) of \(count) messages") }
        return try texts.map { try EarshotJSON.decoder().decode(Reply.self, from: Data($0.utf8)) }
    }
}
