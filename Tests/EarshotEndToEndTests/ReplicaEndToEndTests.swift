import EarshotCore
import Foundation
import Testing

/// Two `earshot serve` replicas on one PostgreSQL database, sharing one media directory, each
/// with a node of its own: the set-up a user runs behind a load balancer once one server is
/// outgrown.
@Suite("Replicas end to end", .serialized)
struct ReplicaEndToEndTests {
    static let adminToken = "e2e-replica-token"

    /// A fresh database on the test cluster (`scripts/with-test-postgres.sh`), made with `psql`.
    static func createDatabase() async throws -> String {
        guard let cluster = ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_URL"], let base = URLComponents(string: cluster) else {
            throw TestFailure("EARSHOT_TEST_DATABASE_URL is not set: run the tests with `make test` or `scripts/with-test-postgres.sh swift test`")
        }
        let name = "replicas_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [cluster.replacingOccurrences(of: "?sslmode=disable", with: ""), "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"]
        try process.run()
        guard await process.exitStatus() == 0 else { throw TestFailure("psql could not create the database") }
        var url = base
        url.path = "/" + name
        return try #require(url.string)
    }

    @Test("40 jobs submitted alternately to two replicas are each done once; SSE on one sees the other's work; a killed replica loses nothing")
    func twoReplicasTwoNodes() async throws {
        let directory = try TestEnvironment.temporaryDirectory("replicas")
        let database = try await Self.createDatabase()
        let media = directory.appendingPathComponent("shared-media", isDirectory: true)
        func replica(_ name: String) async throws -> ServerProcess {
            let data = directory.appendingPathComponent(name, isDirectory: true)
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            return try await ServerProcess(dataDirectory: data, extraArguments: [
                "--workers", "0", "--admin-token", Self.adminToken, "--database", database, "--media-dir", media.path,
                "--lease-seconds", "4",
            ])
        }
        let a = try await replica("a")
        let b = try await replica("b")
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
