import EarshotCore
@testable import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Plugins", .serialized)
struct PluginHostTests {
    struct AlwaysFails: Plugin {
        let name = "broken"
        let subscription = EventTypeFilter.all
        func start() async throws {}
        func handle(_ event: Event, context: PluginContext) async throws { throw PluginError("boom") }
    }

    final class Recorder: Plugin, Sendable {
        let name = "recorder"
        let subscription = EventTypeFilter(types: [.draftStarted])
        let seen = Mutex<[Int64]>([])
        func start() async throws {}
        func handle(_ event: Event, context: PluginContext) async throws { seen.withLock { $0.append(event.seq) } }
    }

    static var fastPolicy: PluginHost.Policy {
        var policy = PluginHost.Policy()
        policy.backoff = [.milliseconds(5)]
        policy.maxConsecutiveFailures = 3
        policy.handleTimeout = .seconds(120)  // No test here times a handler out; a loaded machine must not either.
        policy.pageSize = 4
        return policy
    }

    /// Runs `host` as a service until `body` returns.
    static func running<T>(_ host: PluginHost, _ body: () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: [host], logger: Logger(label: "plugins-test")))
        let task = Task { try await group.run() }
        defer { Task { await group.triggerGracefulShutdown() } }
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await task.value
        return result
    }

    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        // Generous: the suite runs beside end-to-end tests that keep the disk and both CPUs busy.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw PluginError("timed out waiting for \(what)")
    }

    static func draft(_ store: any Store, _ id: String) async throws -> Event {
        try await store.appendEvent(NewEvent(type: .draftStarted, correlationId: id, source: "test", data: .draft(DraftEventData(draftId: id))), now: Date())
    }

    @Test("a plugin that always throws is disabled with plugin.failed; the others keep going and keep their place across restarts")
    func failingPluginIsIsolated() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let recorder = Recorder()
        let host = PluginHost(plugins: [AlwaysFails(), recorder], store: store, media: server.media, policy: Self.fastPolicy, logger: Logger(label: "test"))
        let published = try await Self.running(host) {
            try await Self.eventually("plugins running") { host.status.allSatisfy { $0.state == .running } }
            var published: [Int64] = []
            for index in 0..<3 { published.append(try await Self.draft(store, "d\(index)").seq) }
            try await Self.eventually("the broken plugin disabled") { host.status.first { $0.name == "broken" }?.state == .disabled }
            // Caught up, and its cursor saved: delivery is at least once, so an event handled but not yet
            // recorded when the host stops is offered again after a restart.
            try await Self.eventually("the recorder caught up") {
                recorder.seen.withLock { $0 } == published && host.status.first { $0.name == "recorder" }?.cursor == published.last
            }
            return published
        }
        let failure = try await store.events(after: 0, filter: EventTypeFilter(types: [.pluginFailed]), correlationId: nil, limit: 10)
        #expect(failure.count == 1)
        if case .plugin(let data)? = failure.first?.data {
            #expect(data.plugin == "broken" && data.message.contains("boom"))
        }
        #expect(host.status.first { $0.name == "broken" }?.consecutiveFailures == 3)

        // A new host on the same store: the recorder resumes after what it handled, nothing twice.
        let again = Recorder()
        let restarted = PluginHost(plugins: [again], store: store, media: server.media, policy: Self.fastPolicy, logger: Logger(label: "test"))
        // Several pages (of 4) arrive while it is stopped, interleaved with events it does not want.
        var later: [Int64] = []
        for index in 0..<10 {
            later.append(try await Self.draft(store, "while-stopped-\(index)").seq)
            _ = try await store.appendEvent(NewEvent(type: .draftEnded, source: "test", data: .draft(DraftEventData(draftId: "x"))), now: Date())
        }
        try await Self.running(restarted) {
            try await Self.eventually("the restarted recorder caught up") { again.seen.withLock { $0 } == later }
        }
        #expect(published.allSatisfy { $0 < later[0] })
    }

    @Test("export-folder writes each finished transcript atomically; exec runs a command with the event on stdin")
    func builtIns() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let exports = server.directory.appendingPathComponent("exports")
        let log = server.directory.appendingPathComponent("events.jsonl")
        let plugins: [any Plugin] = try [
            PluginSpec.exportFolder(name: "exports", directory: exports.path, formats: [.md, .srt]).makePlugin(),
            PluginSpec.exec(name: "append", command: ["sh", "-c", "cat >> '\(log.path)'"], types: "job.succeeded", timeoutSeconds: 10).makePlugin(),
        ]
        let host = PluginHost(plugins: plugins, store: store, media: server.media, policy: Self.fastPolicy, logger: Logger(label: "test"))
        try await Self.running(host) {
            try await Self.eventually("plugins running") { host.status.allSatisfy { $0.state == .running } }
            let job = try await store.createJob(
                NewJob(options: TranscriptionOptions(model: "tiny.en"), media: MediaInfo(
                    sha256: String(repeating: "a", count: 64), filename: "my talk.mp3", contentType: nil, sizeBytes: 1, durationSeconds: 2
                ), maxAttempts: 1),
                now: Date()
            )
            let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 3600, models: nil, now: Date()))
            let transcript = Transcript(
                jobID: job.id, title: "my talk.mp3", source: "my talk.mp3", language: "en", model: "tiny.en", durationSeconds: 2,
                processingSeconds: 1, createdAt: Date(), segments: [Segment(start: 0, end: 2, text: "Hello there.")]
            )
            _ = try await store.complete(claimed.lease, transcript: transcript, now: Date())
            let stem = "my talk-\(job.id.rawValue.prefix(8))"
            let markdown = exports.appendingPathComponent("\(stem).md")
            try await Self.eventually("the exports") {
                FileManager.default.fileExists(atPath: markdown.path) && FileManager.default.fileExists(atPath: log.path)
                    && host.status.allSatisfy { $0.cursor > 0 && $0.consecutiveFailures == 0 }
            }
            #expect(try String(contentsOf: markdown, encoding: .utf8) == ExportFormat.render(transcript, as: .md))
            #expect(try String(contentsOf: exports.appendingPathComponent("\(stem).srt"), encoding: .utf8) == ExportFormat.render(transcript, as: .srt))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: exports.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty)
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 1)
            let event = try EarshotJSON.decoder().decode(Event.self, from: Data(lines[0].utf8))
            #expect(event.type == .jobSucceeded && event.correlationId == job.id.rawValue)
        }
    }

    @Test("webhook: a signed POST to a real local server; a failure is retried until it is accepted")
    func webhookRetriesAndSigns() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let received = Mutex<[(headers: HTTPFields, body: [UInt8])]>([])
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let count = received.withLock { list in
                list.append((request.headers, Array(body.readableBytesView)))
                return list.count
            }
            return Response(status: count == 1 ? .internalServerError : .noContent)
        }
        let (ports, portIn) = AsyncStream<Int>.makeStream()
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portIn.yield(channel.localAddress?.port ?? 0) }, logger: Logger(label: "hook")
        )
        let receiverGroup = ServiceGroup(configuration: .init(services: [receiver], logger: Logger(label: "hook")))
        let receiverTask = Task { try await receiverGroup.run() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        let plugin = try PluginSpec.webhook(
            name: "hook", url: "http://127.0.0.1:\(port)/hook", secret: "s3cret", types: "draft.*", timeoutSeconds: 5
        ).makePlugin()
        let host = PluginHost(plugins: [plugin], store: store, media: server.media, policy: Self.fastPolicy, logger: Logger(label: "test"))
        let event = try await Self.running(host) {
            try await Self.eventually("the webhook running") { host.status.allSatisfy { $0.state == .running } }
            let event = try await Self.draft(store, "hooked")
            try await Self.eventually("two deliveries") { received.withLock { $0.count } >= 2 && host.status.first?.cursor == event.seq }
            return event
        }
        await receiverGroup.triggerGracefulShutdown()
        try await receiverTask.value

        let deliveries = received.withLock { $0 }
        #expect(deliveries.count == 2, "one refusal, one retry, then nothing more")
        #expect(host.status.first?.deliveries?.map(\.status) == [500, 204])
        for delivery in deliveries {
            #expect(delivery.headers[HTTPField.Name("X-Earshot-Event")!] == "draft.started")
            #expect(delivery.headers[HTTPField.Name("X-Earshot-Delivery")!] == event.id)
            let sent = try EarshotJSON.decoder().decode(Event.self, from: Data(delivery.body))
            #expect(sent.seq == event.seq && sent.id == event.id && sent.data == event.data)
            // Checked with openssl, not with our own HMAC.
            let signature = delivery.headers[HTTPField.Name("X-Earshot-Signature")!]
            #expect(signature == "sha256=" + (try Self.opensslHMAC(key: "s3cret", message: delivery.body)))
        }
    }

    static func opensslHMAC(key: String, message: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha256", "-hmac", key, "-r"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: message)
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix { !$0.isWhitespace })
    }

    @Test("the configuration file's plugins list is read and checked")
    func configuration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("earshot.yaml")
        try """
            port: 9000
            plugins:
              - type: export-folder
                directory: /srv/transcripts
                formats: [md, srt]
              - type: exec
                name: notify
                command: [notify-send, Earshot]
                types: [job.succeeded, job.failed]
                timeout_seconds: 5
            """.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader.load(configFile: file.path, environment: [:], flags: [:])
        #expect(loaded.port == 9000)
        #expect(loaded.plugins == [
            .exportFolder(name: "export-folder", directory: "/srv/transcripts", formats: [.md, .srt]),
            .exec(name: "notify", command: ["notify-send", "Earshot"], types: "job.succeeded,job.failed", timeoutSeconds: 5),
        ])
        for (yaml, problem) in [
            ("plugins:\n  - type: webhooks\n", "unknown plugin type"),
            ("plugins:\n  - type: webhook\n    url: ftp://x/y\n", "needs an http(s) url"),
            ("plugins:\n  - type: export-folder\n", "needs a directory"),
            ("plugins:\n  - type: exec\n    command: [x]\n    types: jobs.*\n", "matches no event type"),
            ("plugins:\n  - type: export-folder\n    directory: /x\n    formats: [docx]\n", "unknown format"),
        ] {
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            #expect {
                _ = try ConfigurationLoader.load(configFile: file.path, environment: [:], flags: [:])
            } throws: { error in "\(error)".contains(problem) }
        }
    }
}
