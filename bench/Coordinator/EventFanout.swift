// earshot-bench events: fan-out latency of the event stream.
//
// For each N it starts the server's router on loopback with a fresh store, opens N SSE
// subscriptions (`GET /api/v1/events?types=draft.*`), then appends events at a fixed rate with
// `Store.appendEvent` (what a WebSocket publish does) and records, for every subscriber and every
// event, the time from just before the append to the moment the event's message is parsed at the
// subscriber. Subscribers run in the benchmark's process on the same CPUs as the server.

import AsyncHTTPClient
import EarshotClient
import EarshotCore
import EarshotNode
import EarshotServer
import EarshotStore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

struct FanoutOptions {
    var subscriberCounts = [1, 100, 1000]
    var events = 200
    var rate = 20.0
    var writeDocs = true
    var docsPath = "docs/benchmarks.md"

    static let usage = """
        usage: earshot-bench events [options]
          --subscribers LIST  SSE subscriber counts (default 1,100,1000)
          --events N          events per run (default 200)
          --rate R            events per second (default 20)
          --no-docs           print results only
        """

    static func parse(_ arguments: [String]) throws -> FanoutOptions {
        var options = FanoutOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--subscribers":
                let counts = (rest.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
                guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw UsageError("--subscribers wants e.g. 1,100,1000") }
                options.subscriberCounts = counts
            case "--events":
                guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { throw UsageError("--events must be positive") }
                options.events = value
            case "--rate":
                guard let value = rest.popFirst().flatMap(Double.init), value > 0 else { throw UsageError("--rate must be positive") }
                options.rate = value
            case "--no-docs": options.writeDocs = false
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw UsageError("unknown argument \(argument)")
            }
        }
        return options
    }
}

struct FanoutResult {
    var subscribers: Int
    var latencies: [Duration]
    var missing: Int

    func percentileMs(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let sorted = latencies.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p / 100).rounded(.up)) - 1)
        return sorted[max(0, index)].seconds * 1000
    }
}

/// Receipt instants per event seq, from every subscriber.
final class ReceiptBook: Sendable {
    private struct State {
        var receipts: [Int64: [ContinuousClock.Instant]] = [:]
        var connected = 0
        var total = 0
    }

    private let state = Mutex(State())

    func connected() { state.withLock { $0.connected += 1 } }
    var connectedCount: Int { state.withLock { $0.connected } }
    var totalReceived: Int { state.withLock { $0.total } }

    func received(_ seq: Int64, at instant: ContinuousClock.Instant) {
        state.withLock { state in
            state.receipts[seq, default: []].append(instant)
            state.total += 1
        }
    }

    func receipts() -> [Int64: [ContinuousClock.Instant]] { state.withLock { $0.receipts } }
}

func runFanout(_ options: FanoutOptions) async throws {
    let build = benchBuildConfiguration()
    let parent = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("earshot-fanout-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    let machine = MachineInfo.current(dataDirectory: parent)
    var logger = Logger(label: "earshot-bench-fanout") { _ in DiscardingLogHandler(logLevel: .info) }
    logger.logLevel = .info

    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
    configuration.timeout = .init(connect: .seconds(30), read: .seconds(120))
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)

    var results: [FanoutResult] = []
    for count in options.subscriberCounts {
        log("events: \(count) subscriber(s)…")
        let (directory, store) = try makeStore(under: parent, label: "fanout-\(count)")
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.workers = 0
        serverConfiguration.dataDirectory = directory.path
        serverConfiguration.eventSubscriberMaxLag = 1_000_000
        // Every simulated client shares the loopback address: a per-address limit would measure itself.
        serverConfiguration.rateLimitPerSecond = 0
        let media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        let router = EarshotServer.makeRouter(store: store, media: media, recognizers: [], signal: WorkSignal(), configuration: serverConfiguration)
        let (ports, portIn) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "earshot", backlog: 4096),
            onServerRunning: { channel in portIn.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        let url = "http://127.0.0.1:\(port)/api/v1/events?types=draft.*"

        let book = ReceiptBook()
        let subscribers = Task {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<count {
                    tasks.addTask {
                        var request = HTTPClientRequest(url: url)
                        request.headers.add(name: "Accept", value: "text/event-stream")
                        let response = try await client.execute(request, timeout: .seconds(600))
                        guard response.status == .ok else { throw UsageError("subscribe answered \(response.status.code)") }
                        book.connected()
                        var parser = ServerSentEventParser()
                        for try await chunk in response.body {
                            let now = ContinuousClock.now
                            for message in parser.feed(String(buffer: chunk)) {
                                if let seq = message.id.flatMap(Int64.init) { book.received(seq, at: now) }
                            }
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        while book.connectedCount < count { try await Task.sleep(for: .milliseconds(20)) }

        var appended: [Int64: ContinuousClock.Instant] = [:]
        let start = ContinuousClock.now
        for index in 0..<options.events {
            try await Task.sleep(until: start + .seconds(Double(index) / options.rate), clock: .continuous)
            let before = ContinuousClock.now
            let event = try await store.appendEvent(
                NewEvent(type: .draftStarted, correlationId: "bench", source: "bench", data: .draft(DraftEventData(draftId: "\(index)"))),
                now: Date()
            )
            appended[event.seq] = before
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while book.totalReceived < count * options.events, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        subscribers.cancel()
        let receipts = book.receipts()
        var latencies: [Duration] = []
        for (seq, sent) in appended {
            for instant in receipts[seq] ?? [] { latencies.append(instant - sent) }
        }
        let result = FanoutResult(subscribers: count, latencies: latencies, missing: count * options.events - latencies.count)
        log("  p50 \(format(result.percentileMs(50), 2)) ms, p99 \(format(result.percentileMs(99), 2)) ms, missing \(result.missing)")
        results.append(result)
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        _ = try? await subscribers.value
    }
    try await client.shutdown()

    let baseline = results.first
    var rows = [
        "| Subscribers | Deliveries | p50 (ms) | p99 (ms) | max (ms) | Missing | p99 / 1-subscriber p99 | p99 < 100 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results {
        let ratio = (baseline?.percentileMs(99)).map { format(result.percentileMs(99) / $0, 2) } ?? "n/a"
        let p99 = result.percentileMs(99)
        rows.append(
            "| \(result.subscribers) | \(result.latencies.count) | \(format(result.percentileMs(50), 2)) | \(format(p99, 2)) | "
                + "\(format(result.percentileMs(100), 2)) | \(result.missing) | \(ratio) | \(p99 < 100 ? "met" : "NOT met") |"
        )
    }
    print(rows.joined(separator: "\n"))
    guard options.writeDocs, build == "release" else { return }
    let section = [
        "<!-- bench:event-fanout:start -->",
        "## Event fan-out: append → received over SSE",
        "",
        "- Date: \(DocsSection.utcDate())",
        "- Machine: \(machine.summary); load average at start \(machine.loadAverage)",
        "- Build: \(build); store: SQLite (WAL, `synchronous = FULL`)",
        "- Each run: a fresh store and the server's router on loopback; N subscribers hold `GET /api/v1/events?types=draft.*` open (AsyncHTTPClient, in the benchmark's process, sharing the \(machine.cpus) CPUs with the server); \(options.events) `draft.started` events are appended at \(format(options.rate, 0))/s through `Store.appendEvent` (what a WebSocket publish does). Latency: from just before the append to the moment a subscriber has parsed the event's message. Baseline: the same measurement with 1 subscriber.",
        "",
    ] + rows + [
        "",
        "Target: p99 < 100 ms at 1,000 subscribers. Reproduce with `make bench-events`.",
        "<!-- bench:event-fanout:end -->",
    ]
    try DocsSection.replace(
        start: "<!-- bench:event-fanout:start -->", end: "<!-- bench:event-fanout:end -->", with: section.joined(separator: "\n"), in: options.docsPath
    )
    log("updated \(options.docsPath)")
}
