import EarshotClient
import EarshotCore
import Foundation
import Testing

/// The event log over real HTTP from a real `earshot serve`.
@Suite("Events end to end", .serialized)
struct EventsEndToEndTests {
    @Test("an SSE subscriber that drops and reconnects with Last-Event-ID receives the whole log, in order, exactly once")
    func resumeWithLastEventID() async throws {
        let directory = try TestEnvironment.temporaryDirectory("events")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0"])
        let clip = try #require(try TestEnvironment.librivoxClips().first).url
        let stream = server.baseURL.appendingPathComponent("api/v1/events").absoluteString
        var ids = [try await server.submit(clip), try await server.submit(clip)]

        // Read the first two events from the start of the log, then hang up.
        let first = try await EventStreamClient.read(stream + "?after=0", count: 2)
        #expect(first.map(\.event) == ["job.created", "job.created"])

        // While nobody listens, more happens.
        ids.append(try await server.submit(clip))
        #expect(try await server.request("POST", "/api/v1/jobs/\(ids[0])/cancel").status == 200)
        #expect(try await server.request("DELETE", "/api/v1/jobs/\(ids[1])").status == 204)

        let log = try await Self.wholeLog(server)
        #expect(log.map(\.type) == [.jobCreated, .jobCreated, .jobCreated, .jobCancelled, .jobDeleted, .auditDeleted], "a delete is audited")
        let second = try await EventStreamClient.read(stream, lastEventID: first.last?.id, count: log.count - first.count)
        let received = (first + second).compactMap { $0.id.flatMap(Int64.init) }
        #expect(received == log.map(\.seq), "the union of both connections is the log, in order, without duplicates")
        #expect((first + second).map(\.event) == log.map(\.type.rawValue))
        let decoded = try (first + second).map { try EarshotJSON.decoder().decode(Event.self, from: Data($0.data.utf8)) }
        #expect(decoded == log)

        // Filters, and a live event arriving on an open stream.
        async let cancellations = EventStreamClient.read(stream + "?types=job.cancelled,job.deleted&after=0", count: 2)
        let filtered = try await cancellations
        #expect(filtered.map(\.event) == ["job.cancelled", "job.deleted"])
        let third = ids[2]
        // From the log's current end rather than "from now": a subscriber count that still includes
        // the connection just closed could otherwise let the cancel land before this one listens.
        let end = try #require(log.last?.seq)
        async let live = EventStreamClient.read(stream + "?types=job.cancelled&correlation_id=\(third)&after=\(end)", count: 1)
        try await Self.waitForSubscribers(server)
        #expect(try await server.request("POST", "/api/v1/jobs/\(third)/cancel").status == 200)
        let arrived = try await live
        #expect(arrived.first?.event == "job.cancelled")
        #expect(try await server.request("GET", "/api/v1/events?types=jobs.*").status == 400)
        #expect(try await server.request("GET", "/api/v1/events?after=-3").status == 400)
    }

    @Test("earshot events tail prints the log as JSON lines and resumes after a server restart without gaps or repeats")
    func tailResumesAcrossRestart() async throws {
        let directory = try TestEnvironment.temporaryDirectory("events-tail")
        let arguments = ["--workers", "0"]
        var server = try await ServerProcess(dataDirectory: directory, extraArguments: arguments)
        let port = try #require(server.baseURL.port)
        let clip = try #require(try TestEnvironment.librivoxClips().first).url
        for _ in 0..<2 { _ = try await server.submit(clip) }

        let tail = Process()
        tail.executableURL = TestEnvironment.earshotBinary
        tail.arguments = ["events", "tail", "--server", server.baseURL.absoluteString, "--after", "0", "--count", "4", "--types", "job.*"]
        let output = Pipe()
        let errors = Pipe()
        tail.standardOutput = output
        tail.standardError = errors
        try tail.run()
        async let printed = output.fileHandleForReading.readToEndOnThread()
        async let notices = errors.fileHandleForReading.readToEndOnThread()
        try await Self.waitForSubscribers(server)

        await server.kill()
        server = try await ServerProcess(dataDirectory: directory, port: port, extraArguments: arguments)
        for _ in 0..<2 { _ = try await server.submit(clip) }
        let lines = String(decoding: await printed, as: UTF8.self).split(separator: "\n")
        #expect(await tail.exitStatus() == 0)
        let events = try lines.map { try EarshotJSON.decoder().decode(Event.self, from: Data($0.utf8)) }
        #expect(events == Array(try await Self.wholeLog(server).prefix(4)))
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(String(decoding: await notices, as: UTF8.self).contains("connection lost"))

        let refused = try await NodeProcess.runEarshot(["events", "tail", "--server", server.baseURL.absoluteString, "--types", "jobs.*"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("matches no event type"))
    }

    /// Every event so far, through the paged JSON log.
    static func wholeLog(_ server: ServerProcess) async throws -> [Event] {
        var events: [Event] = []
        var after: Int64 = 0
        while true {
            let page = try await server.request("GET", "/api/v1/events/log?after=\(after)&limit=2")
            #expect(page.status == 200)
            let decoded = try EarshotJSON.decoder().decode(LogPage.self, from: page.body)
            if decoded.events.isEmpty { return events }
            events += decoded.events
            after = decoded.nextAfter
        }
    }

    struct LogPage: Decodable {
        var events: [Event]
        var nextAfter: Int64
    }

    /// Waits until the server counts an open event stream (`earshot_event_subscribers`).
    static func waitForSubscribers(_ server: ServerProcess, atLeast count: Int = 1) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let metrics = String(decoding: try await server.request("GET", "/metrics").body, as: UTF8.self)
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("earshot_event_subscribers ") }
            if let value = line?.split(separator: " ").last.flatMap({ Double($0) }), Int(value) >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no event subscriber connected")
    }
}
