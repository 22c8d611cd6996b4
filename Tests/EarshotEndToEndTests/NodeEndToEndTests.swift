import EarshotCore
import Foundation
import Testing

/// Remote nodes as users run them: `earshot node register` + `earshot node start` processes
/// against a `earshot serve --workers 0`, all on loopback with the real engine.
@Suite("Nodes end to end", .serialized)
struct NodeEndToEndTests {
    static let adminToken = "e2e-admin-token"

    @Test("two nodes (one with two slots) share the LibriVox clips, each transcribed exactly once, and a diarization job", .takesTurns)
    func twoNodesShareWork() async throws {
        let directory = try TestEnvironment.temporaryDirectory("nodes")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken])
        var nodes: [NodeProcess] = []
        for name in ["alpha", "beta"] {
            let config = try await NodeProcess.register(name: name, server: server, adminToken: Self.adminToken, directory: directory)
            let attributes = try FileManager.default.attributesOfItem(atPath: config)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "the key file is private")
            // beta runs two slots: its simultaneous claims and deliveries share requests.
            nodes.append(try await NodeProcess(
                name: name, configPath: config, directory: directory, extraArguments: name == "beta" ? ["--slots", "2"] : []
            ))
        }
        let clips = try TestEnvironment.librivoxClips()
        var ids: [String] = []
        for clip in clips + clips { ids.append(try await server.submit(clip.url)) }

        var errors = 0
        var words = 0
        for (id, clip) in zip(ids, clips + clips) {
            let job = try await server.waitForJob(id)
            #expect(job["state"] as? String == "succeeded", "\(id): \(job)")
            let attempts = try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.count == 1, "transcribed exactly once")
            let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
            let result = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
            errors += result.errors
            words += result.words
        }
        #expect(Double(errors) / Double(words) <= 0.10)

        // Nodes with the speaker model take diarization jobs too (the server has no worker of its own).
        let (conversation, _) = try DiarizationEndToEndTests.conversation(in: directory)
        let diarized = try await server.submit(conversation, fields: ["diarize": "true"])
        #expect(try await server.waitForJob(diarized)["state"] as? String == "succeeded")
        let speakers = try await server.request("GET", "/api/v1/jobs/\(diarized)/speakers").json()["speakers"] as? [[String: Any]] ?? []
        #expect(speakers.compactMap { $0["id"] as? String } == ["S1", "S2", "S3"], "\(speakers)")

        let list = try await server.request("GET", "/api/v1/nodes", bearer: Self.adminToken).json()["nodes"] as? [[String: Any]] ?? []
        #expect(list.allSatisfy { $0["diarization"] as? Bool == true }, "both nodes advertise the speaker model: \(list)")
        let done = list.map { $0["jobs_done"] as? Int ?? 0 }
        #expect(done.reduce(0, +) == ids.count + 1)
        #expect(done.allSatisfy { $0 > 0 }, "work spread across both nodes: \(done)")
        _ = nodes
    }

    @Test("a killed node's job is reclaimed after its lease and finished by the other; its late result gets 409")
    func killedNodeIsReclaimed() async throws {
        let directory = try TestEnvironment.temporaryDirectory("node-kill")
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken, "--lease-seconds", "3"]
        )
        let victimConfig = try await NodeProcess.register(name: "victim", server: server, adminToken: Self.adminToken, directory: directory)
        let survivorConfig = try await NodeProcess.register(name: "survivor", server: server, adminToken: Self.adminToken, directory: directory)
        let victim = try await NodeProcess(name: "victim", configPath: victimConfig, directory: directory)
        let id = try await server.submit(try await TestEnvironment.longRecording(times: 4, in: directory))
        let running = try await server.waitForJob(id, until: [.running])
        let holder = try #require((running["lease"] as? [String: Any])?["holder"] as? String)
        let victimAttempt = try #require((try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]])?.last)
        await victim.kill()

        let survivor = try await NodeProcess(name: "survivor", configPath: survivorConfig, directory: directory)
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded")
        let attempts = try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.compactMap { $0["outcome"] as? String } == ["expired", "succeeded"])
        #expect(attempts.first?["holder"] as? String == holder)
        #expect(attempts.last?["holder"] as? String != holder)

        // Replay the dead node's result with its old lease: refused, and the transcript is untouched.
        let victimKey = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: victimConfig))) as? [String: Any])["api_key"] as? String
        let transcript = Transcript(
            jobID: JobID(rawValue: id), title: "forged", source: "forged", language: "en", model: "tiny.en",
            durationSeconds: 1, processingSeconds: 1, createdAt: Date(), segments: [Segment(start: 0, end: 1, text: "stale words")]
        )
        let report = CompletionReport(
            lease: LeaseReference(token: (victimAttempt["token"] as? NSNumber)?.int64Value ?? 0, attempt: victimAttempt["number"] as? Int ?? 1),
            transcript: transcript
        )
        let replay = try await server.request(
            "POST", "/api/v1/node/jobs/\(id)/complete", body: try EarshotJSON.encoder().encode(report), contentType: "application/json", bearer: victimKey
        )
        #expect(replay.status == 409)
        let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
        #expect(!text.contains("stale words"))
        _ = survivor
    }

    @Test("a node streams partial segments while it works; on SIGTERM it hands the job back and another node finishes it")
    func partialSegmentsAndGracefulNodeShutdown() async throws {
        let directory = try TestEnvironment.temporaryDirectory("node-partial")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken])
        let firstConfig = try await NodeProcess.register(name: "first", server: server, adminToken: Self.adminToken, directory: directory)
        let secondConfig = try await NodeProcess.register(name: "second", server: server, adminToken: Self.adminToken, directory: directory)
        let first = try await NodeProcess(name: "first", configPath: firstConfig, directory: directory, extraArguments: ["--shutdown-grace", "0"])
        let id = try await server.submit(try await TestEnvironment.longRecording(times: 8, in: directory))
        _ = try await server.waitForJob(id, until: [.running])

        // Text arrives while the job runs (nodes send new segments with each ~1 s heartbeat).
        let partial = try await waitForPartialSegments(server, id: id)
        #expect(partial["state"] as? String == "running")
        #expect(partial["final"] as? Bool == false)
        let early = (partial["segments"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(!early.isEmpty)
        let after = try await server.request("GET", "/api/v1/jobs/\(id)/segments?after=\(early.count)").json()
        #expect(after["first_index"] as? Int == early.count)
        #expect(try await server.request("GET", "/api/v1/jobs/\(id)/segments?after=-1").status == 400)

        // SIGTERM with no grace: the node releases its lease before exiting, cleanly.
        #expect(await first.terminate() == 0, "node log: \(first.log.suffix(2000))")
        let released = try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
        #expect(released.compactMap { $0["outcome"] as? String } == ["released"])
        let requeued = try await server.request("GET", "/api/v1/jobs/\(id)").json()
        #expect(requeued["state"] as? String == "queued")
        #expect((try await server.request("GET", "/api/v1/jobs/\(id)/segments").json()["segments"] as? [Any])?.isEmpty == true)

        let second = try await NodeProcess(name: "second", configPath: secondConfig, directory: directory)
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded")
        let attempts = try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.compactMap { $0["outcome"] as? String } == ["released", "succeeded"])

        // The streamed text is the start of the final transcript (same engine, same audio).
        let final = try await server.request("GET", "/api/v1/jobs/\(id)/segments").json()
        #expect(final["final"] as? Bool == true)
        let finalTexts = (final["segments"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(Array(finalTexts.prefix(early.count)) == early)
        _ = second
    }

    /// Polls the segments endpoint until the running job has sent some text.
    private func waitForPartialSegments(_ server: ServerProcess, id: String, timeout: Duration = .seconds(120)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reply = try await server.request("GET", "/api/v1/jobs/\(id)/segments").json()
            if let segments = reply["segments"] as? [Any], !segments.isEmpty { return reply }
            guard reply["state"] as? String == "running" else { throw TestFailure("job left running before any text arrived: \(reply)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no partial segments within \(timeout)")
    }

    @Test("a server restart while nodes work loses nothing: nodes reconnect and finish")
    func serverRestartWhileNodesWork() async throws {
        let directory = try TestEnvironment.temporaryDirectory("node-server-restart")
        let arguments = ["--workers", "0", "--admin-token", Self.adminToken]
        var server = try await ServerProcess(dataDirectory: directory, extraArguments: arguments)
        let port = try #require(server.baseURL.port)
        let config = try await NodeProcess.register(name: "steady", server: server, adminToken: Self.adminToken, directory: directory)
        let node = try await NodeProcess(name: "steady", configPath: config, directory: directory)
        var ids = [try await server.submit(try await TestEnvironment.longRecording(times: 4, in: directory))]
        for clip in try TestEnvironment.librivoxClips() { ids.append(try await server.submit(clip.url)) }
        _ = try await server.waitForJob(ids[0], until: [.running])

        await server.kill()
        server = try await ServerProcess(dataDirectory: directory, port: port, extraArguments: arguments)
        for id in ids {
            let job = try await server.waitForJob(id)
            #expect(job["state"] as? String == "succeeded", "\(id): \(job)")
        }
        // The job running during the outage kept its lease: one attempt, no reclaim.
        let attempts = try await server.request("GET", "/api/v1/jobs/\(ids[0])/attempts").json()["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.compactMap { $0["outcome"] as? String } == ["succeeded"])
        _ = node
    }

    @Test("node status and unregister")
    func statusAndUnregister() async throws {
        let directory = try TestEnvironment.temporaryDirectory("node-status")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken])
        let config = try await NodeProcess.register(name: "solo", server: server, adminToken: Self.adminToken, directory: directory)
        let status = try await NodeProcess.runEarshot(["node", "status", "--config", config])
        #expect(status.status == 0)
        #expect(status.output.contains("Connected"))
        let unregister = try await NodeProcess.runEarshot(["node", "unregister", "--config", config])
        #expect(unregister.status == 0)
        #expect(!FileManager.default.fileExists(atPath: config))
        let list = try await server.request("GET", "/api/v1/nodes", bearer: Self.adminToken).json()["nodes"] as? [[String: Any]]
        #expect(list?.isEmpty == true)
        let missing = try await NodeProcess.runEarshot(["node", "status", "--config", config])
        #expect(missing.status != 0)
        let badToken = try await NodeProcess.runEarshot(["node", "register", "--server", server.baseURL.absoluteString, "--name", "x", "--token", "nope", "--config", config])
        #expect(badToken.status != 0)
    }
}
