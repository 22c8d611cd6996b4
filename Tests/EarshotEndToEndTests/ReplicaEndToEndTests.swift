import EarshotCore
import EarshotStore
import Foundation
import Testing

/// Two `earshot serve` replicas on one PostgreSQL database, sharing one media directory, each
/// with a node of its own: the set-up a user runs behind a load balancer once one server is
/// outgrown.
@Suite("Replicas end to end", .serialized)
struct ReplicaEndToEndTests {
    static let adminToken = "e2e-replica-token"

    /// The test cluster (`scripts/with-test-postgres.sh`).
    static func cluster() throws -> PostgresDatabaseURL {
        guard let cluster = ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_URL"], !cluster.isEmpty else {
            throw TestFailure("EARSHOT_TEST_DATABASE_URL is not set: run the tests with `make test` or `scripts/with-test-postgres.sh swift test`")
        }
        return try PostgresDatabaseURL(parsing: cluster)
    }

    /// A fresh database on the test cluster; its URL for `--database`.
    static func createDatabase() async throws -> (url: String, name: String) {
        let name = "replicas_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let url = try await PostgresAdmin.createDatabase(name, on: try cluster())
        return ("postgres://\(url.user)@\(url.host):\(url.port)/\(url.database)?sslmode=disable", name)
    }

    /// A replica without built-in workers on `database`: its own data directory under `directory`,
    /// the media directory shared with the other replicas there.
    static func replica(_ name: String, in directory: URL, database: String, extraArguments: [String] = []) async throws -> ServerProcess {
        let data = directory.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        return try await ServerProcess(dataDirectory: data, extraArguments: [
            "--workers", "0", "--admin-token", adminToken, "--database", database,
            "--media-dir", directory.appendingPathComponent("shared-media").path,
        ] + extraArguments)
    }

    /// Runs SQL on the cluster's maintenance database with `psql`, as an operator would.
    static func psql(_ sql: String) async throws {
        let cluster = try cluster()
        let (status, output) = try await NodeProcess.runProgram(
            "/usr/bin/psql", ["postgres://\(cluster.user)@\(cluster.host):\(cluster.port)/\(cluster.database)", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        )
        guard status == 0 else { throw TestFailure("psql failed: \(output)") }
    }

    @Test("40 jobs submitted alternately to two replicas are each done once; SSE on one sees the other's work; a killed replica loses nothing", .takesTurns)
    func twoReplicasTwoNodes() async throws {
        let directory = try TestEnvironment.temporaryDirectory("replicas")
        let database = try await Self.createDatabase().url
        let a = try await Self.replica("a", in: directory, database: database, extraArguments: ["--lease-seconds", "4"])
        let b = try await Self.replica("b", in: directory, database: database, extraArguments: ["--lease-seconds", "4"])
        let watch = EventWatch(a.baseURL.absoluteString + "/api/v1/events?types=job.succeeded")

        let alphaConfig = try await NodeProcess.register(name: "alpha", server: a, adminToken: Self.adminToken, directory: directory)
        let betaConfig = try await NodeProcess.register(name: "beta", server: b, adminToken: Self.adminToken, directory: directory)
        let alpha = try await NodeProcess(name: "alpha", configPath: alphaConfig, directory: directory)
        let beta = try await NodeProcess(name: "beta", configPath: betaConfig, directory: directory)

        // The two shortest clips, so forty jobs stay quick on two cores.
        let clips = Array(try TestEnvironment.librivoxClips().sorted { $0.reference.count < $1.reference.count }.prefix(2))
        var submitted: [(id: String, reference: String)] = []
        for index in 0..<40 {
            let clip = clips[index % 2]
            submitted.append((try await (index % 2 == 0 ? a : b).submit(clip.url), clip.reference))
        }
        let ids = Set(submitted.map(\.id))

        // Replica A's stream carries jobs finished through B (by beta), not only its own.
        try await watch.wait("ten jobs finished, some through each replica", timeout: 300) { events in
            let done = events.compactMap(\.jobId)
            return Set(done).intersection(ids).count >= 10
                && events.contains { $0.source == "node:" + Self.nodeID(betaConfig) }
                && events.contains { $0.source == "node:" + Self.nodeID(alphaConfig) }
        }

        // Replica B dies mid-run; beta loses its server. A and alpha carry on, jobs beta held come
        // back after their lease, and every job ends succeeded, exactly once.
        await b.kill()
        try await watch.wait("all forty jobs succeeded", timeout: 300) { events in
            Set(events.compactMap(\.jobId)).isSuperset(of: ids)
        }
        var errors = 0
        var words = 0
        var texts: [String: Set<String>] = [:]
        for (id, reference) in submitted {
            let job = try await a.request("GET", "/api/v1/jobs/\(id)").json()
            #expect(job["state"] as? String == "succeeded", "\(id): \(job)")
            let attempts = try await a.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.filter { $0["outcome"] as? String == "succeeded" }.count == 1, "\(id) succeeded once: \(attempts)")
            let text = try await a.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
            texts[reference, default: []].insert(text)
            let result = WordErrorRate.errors(reference: reference, hypothesis: text)
            errors += result.errors
            words += result.words
        }
        // tiny.en gets 12.5 % of these two short clips' words wrong, the same way every time: each
        // clip's twenty jobs must read alike, whichever node and replica did them.
        #expect(Double(errors) / Double(words) <= 0.15, "WER \(errors)/\(words)")
        #expect(texts.values.allSatisfy { $0.count == 1 }, "\(texts)")
        let succeeded = watch.all.filter { ids.contains($0.jobId ?? "") }
        #expect(succeeded.count == 40, "one job.succeeded per job, none twice")
        _ = (alpha, beta)
    }

    @Test("a stream source runs on exactly one replica, whichever replica it was created through; when that replica dies another takes it over", .takesTurns)
    func streamRunsOnOneReplica() async throws {
        let directory = try TestEnvironment.temporaryDirectory("replica-streams")
        let database = try await Self.createDatabase().url
        let replicas = [try await Self.replica("a", in: directory, database: database), try await Self.replica("b", in: directory, database: database)]
        let clips = try TestEnvironment.librivoxClips()
        let audio = try LiveEndToEndTests.recording(clips[0..<2])
        var radio = try await RadioStation(samples: audio.samples, ending: .hang)
        let port = radio.port

        // Created through the second replica; the station answers one listener at a time, so a
        // second capture would show up as a stream failing to connect.
        let created = try await replicas[1].request(
            "POST", "/api/v1/streams", body: Data(#"{"name":"station","url":"http://127.0.0.1:\#(port)/radio.wav","language":"en"}"#.utf8),
            contentType: "application/json", bearer: Self.adminToken
        )
        #expect(created.status == 201)
        let id = try #require(try created.json()["id"] as? String)
        let watch = EventWatch("\(replicas[0].baseURL.absoluteString)/api/v1/events?types=stream.*,draft.ended&after=0")
        try await watch.wait("the stream running and a first utterance", timeout: 120) { events in
            events.contains { $0.type == .draftEnded } && StreamSourceEndToEndTests.streamEvents(events).contains { $0.state == .running }
        }
        let capturing = replicas.map { !Self.ffmpegChildren(of: $0).isEmpty }
        #expect(capturing.filter { $0 }.count == 1, "exactly one replica runs ffmpeg: \(capturing)")
        #expect(!StreamSourceEndToEndTests.streamEvents(watch.all).contains { $0.state == .retrying }, "nobody else tried to connect")
        let draft = try #require(watch.all.compactMap { event -> String? in
            if event.type == .draftEnded, case .draft(let data) = event.data { data.draftId } else { nil }
        }.first)
        for server in replicas {
            let shown = try await server.request("GET", "/api/v1/streams/\(id)", bearer: Self.adminToken).json()
            #expect(shown["state"] as? String == "running", "every replica shows the stream running: \(shown)")
            // The utterance's audio is in the shared media directory: any replica serves it.
            let audio = try await server.request("GET", "/api/v1/drafts/\(draft)/audio")
            #expect(audio.status == 200 && audio.body.starts(with: Data("RIFF".utf8)), "\(server.baseURL): \(audio.status)")
        }

        // The replica running it dies: the other takes the role and the stream.
        let leader = capturing.firstIndex(of: true) ?? 0
        let survivor = replicas[1 - leader]
        let survivorWatch = EventWatch("\(survivor.baseURL.absoluteString)/api/v1/events?types=stream.*&after=0")
        let runningBefore = StreamSourceEndToEndTests.streamEvents(watch.all).filter { $0.state == .running }.count
        await replicas[leader].kill()
        await radio.shutDown()
        radio = try await RadioStation(port: port, samples: audio.samples, ending: .hang)
        try await survivorWatch.wait("the stream running on the survivor", timeout: 120) { events in
            StreamSourceEndToEndTests.streamEvents(events).filter { $0.state == .running }.count > runningBefore
        }
        #expect(!Self.ffmpegChildren(of: survivor).isEmpty)
        _ = radio
    }

    /// The replica's ffmpeg children (a running stream capture is one).
    static func ffmpegChildren(of server: ServerProcess) -> [Int32] {
        server.childProcessIDs { $0.hasPrefix("ffmpeg") || $0.contains("/ffmpeg") }
    }

    @Test("/readyz follows the database: 503 while it refuses connections, ready again once it is back")
    func readinessFollowsTheDatabase() async throws {
        let directory = try TestEnvironment.temporaryDirectory("replica-ready")
        let database = try await Self.createDatabase()
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--database", database.url])
        #expect(try await server.request("GET", "/readyz").status == 200)

        try await Self.psql("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS false")
        try await Self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database.name)'")
        let down = try await Self.readiness(of: server, until: 503)
        #expect(String(describing: down["checks"]).contains("store"), "\(down)")

        try await Self.psql("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true")
        _ = try await Self.readiness(of: server, until: 200)
        // And it works again, not only answers.
        #expect(try await server.request("GET", "/api/v1/jobs").status == 200)
    }

    @Test("serve refuses a database it cannot use, naming it with the password masked")
    func refusedDatabase() async throws {
        let directory = try TestEnvironment.temporaryDirectory("replica-refused")
        let cluster = try Self.cluster()
        let missing = "postgres://\(cluster.user):hunter2@\(cluster.host):\(cluster.port)/no_such_database?sslmode=disable"
        let (status, output) = try await NodeProcess.runEarshot(["serve", "--port", "0", "--data-dir", directory.path, "--workers", "0", "--database", missing])
        #expect(status != 0)
        #expect(output.contains("no_such_database") && output.contains("does not exist"), "\(output)")
        #expect(!output.contains("hunter2"), "the password never reaches the output")

        let malformed = try await NodeProcess.runEarshot(["serve", "--port", "0", "--data-dir", directory.path, "--database", "postgres://db.example/speech"])
        #expect(malformed.status != 0)
        #expect(malformed.output.contains("database_url") && malformed.output.contains("names no user"), "\(malformed.output)")
    }

    /// Asks `/readyz` until it answers `status` (each answer takes at most the probe's 5 s limit).
    static func readiness(of server: ServerProcess, until status: Int, timeout: Double = 90) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let response = try await server.request("GET", "/readyz")
            if response.status == status { return try response.json() }
        }
        throw TestFailure("/readyz never answered \(status)")
    }

    static func nodeID(_ configPath: String) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath)))) as? [String: Any]
        return object?["node_id"] as? String ?? ""
    }
}

private extension Event {
    /// The job a `job.*` event is about.
    var jobId: String? {
        if case .job(let data) = data { return data.jobId.rawValue }
        return nil
    }
}
