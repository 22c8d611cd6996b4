import EarshotClient
import EarshotCore
import EarshotNode
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The node protocol over real HTTP against a real server (`--workers 0`), driven directly so the
/// races and refusals can be provoked precisely.
@Suite("Node protocol", .serialized)
struct NodeProtocolTests {
    static let adminToken = "e2e-admin-token"

    func startServer(_ name: String, _ extra: [String] = []) async throws -> ServerProcess {
        try await ServerProcess(
            dataDirectory: try TestEnvironment.temporaryDirectory(name),
            extraArguments: ["--workers", "0", "--admin-token", Self.adminToken] + extra
        )
    }

    func register(_ server: ServerProcess, _ name: String, priority: Int? = nil) async throws -> (id: String, key: String) {
        let body = try EarshotJSON.encoder().encode(NodeRegistrationRequest(name: name, priority: priority))
        let reply = try await server.request("POST", "/api/v1/nodes", body: body, contentType: "application/json", bearer: Self.adminToken)
        guard reply.status == 201 else { throw TestFailure("register \(name): \(reply.status) \(reply.text)") }
        let registration = try EarshotJSON.decoder().decode(NodeRegistration.self, from: reply.body)
        return (registration.nodeId, registration.apiKey)
    }

    /// Returns once `count` nodes are long-polling on the server (the queue stats count them).
    func waitForWaitingNodes(_ server: ServerProcess, _ count: Int) async throws {
        let deadline = Date().addingTimeInterval(10)
        while try await server.request("GET", "/api/v1/queue/stats").json()["waiting_nodes"] as? Int != count {
            guard Date() < deadline else { throw TestFailure("\(count) claims never reached the server") }
            await Task.yield()
        }
    }

    func claim(_ server: ServerProcess, key: String, models: [String]? = nil, wait: Double = 0) async throws -> ServerProcess.HTTPResult {
        let body = try EarshotJSON.encoder().encode(ClaimRequest(models: models))
        return try await server.request("POST", "/api/v1/node/claim?wait=\(wait)", body: body, contentType: "application/json", bearer: key)
    }

    @Test("32 nodes claiming at the same instant take 16 jobs exactly once")
    func simultaneousClaims() async throws {
        let server = try await startServer("claims")
        let clip = try TestEnvironment.librivoxClips()[1].url
        for _ in 0..<16 { _ = try await server.submit(clip) }
        var keys: [String] = []
        for index in 0..<32 { keys.append(try await register(server, "node-\(index)").key) }

        let claimed = try await withThrowingTaskGroup(of: String?.self) { group in
            for key in keys {
                group.addTask {
                    let reply = try await self.claim(server, key: key)
                    guard reply.status == 200 else {
                        #expect(reply.status == 204)
                        return nil
                    }
                    return try EarshotJSON.decoder().decode(ClaimedWork.self, from: reply.body).job.id.rawValue
                }
            }
            return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
        }
        #expect(claimed.count == 16)
        #expect(Set(claimed).count == 16, "no job was handed to two nodes")
    }

    @Test("a node's slots share requests: simultaneous claims and deliveries travel together, each judged on its own")
    func batchedSlots() async throws {
        let server = try await startServer("batched")
        let clip = try TestEnvironment.librivoxClips()[1].url
        var submitted: Set<String> = []
        for _ in 0..<6 { submitted.insert(try await server.submit(clip)) }
        let node = try await register(server, "eight-slots")
        let client = BatchingNodeClient(client: NodeClient(baseURL: server.baseURL, apiKey: node.key), models: nil, diarization: false, waitSeconds: 0)

        let claimed = try await withThrowingTaskGroup(of: ClaimedWork?.self) { group in
            for _ in 0..<8 { group.addTask { try await client.claim() } }
            return try await group.reduce(into: [ClaimedWork]()) { if let work = $1 { $0.append(work) } }
        }
        #expect(claimed.count == 6 && Set(claimed.map(\.job.id.rawValue)) == submitted, "each job once, to this node's slots")

        // Six slots deliver at once; one of them presents a token that is no longer current.
        let stale = claimed[0]
        let outcomes = await withTaskGroup(of: (String, Int).self) { group in
            for (index, work) in claimed.enumerated() {
                group.addTask {
                    let token = index == 0 ? work.lease.token + 1 : work.lease.token
                    let report = CompletionReport(
                        lease: LeaseReference(token: token, attempt: work.lease.attempt),
                        transcript: Transcript(
                            jobID: work.job.id, title: "t", source: "t", language: "en", model: "tiny.en", durationSeconds: 1,
                            processingSeconds: 0, createdAt: Date(), segments: [Segment(start: 0, end: 1, text: "delivered \(index)")]
                        )
                    )
                    do {
                        try await client.complete(report)
                        return (work.job.id.rawValue, 200)
                    } catch let error as EarshotAPIError {
                        return (work.job.id.rawValue, error.status)
                    } catch {
                        return (work.job.id.rawValue, -1)
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes[stale.job.id.rawValue] == 409)
        #expect(outcomes.filter { $0.value == 200 }.count == 5)
        for (id, status) in outcomes {
            let job = try await server.request("GET", "/api/v1/jobs/\(id)").json()
            #expect(job["state"] as? String == (status == 200 ? "succeeded" : "running"), "\(id)")
        }
    }

    static func report(for work: ClaimedWork, token: Int64? = nil, text: String = "delivered") -> CompletionReport {
        CompletionReport(
            lease: LeaseReference(token: token ?? work.lease.token, attempt: work.lease.attempt),
            transcript: Transcript(
                jobID: work.job.id, title: "t", source: "t", language: "en", model: "tiny.en", durationSeconds: 1,
                processingSeconds: 0, createdAt: Date(), segments: [Segment(start: 0, end: 1, text: text)]
            )
        )
    }

    @Test("a delivery takes the next work in the same request: only jobs this node may run, none for a disabled node, none when not asked; a bad claim stores nothing")
    func deliveryTakesNextWork() async throws {
        let server = try await startServer("deliver-and-claim")
        let node = try await register(server, "deliverer")
        let client = NodeClient(baseURL: server.baseURL, apiKey: node.key)
        let clip = try TestEnvironment.librivoxClips()[1].url
        let first = try await server.submit(clip, fields: ["model": "tiny.en"])
        let second = try await server.submit(clip, fields: ["model": "tiny.en"])
        let baseJob = try await server.submit(clip, fields: ["model": "base"])

        let work = try #require(try await client.claim(models: ["tiny.en"], waitSeconds: 0))
        #expect(work.job.id.rawValue == first)

        // A claim outside 1...64 is refused before anything is stored.
        let refused = try await server.request(
            "POST", "/api/v1/node/completions",
            body: try EarshotJSON.encoder().encode(CompletionBatch(completions: [Self.report(for: work)], claim: ClaimRequest(models: nil, max: 0))),
            contentType: "application/json", bearer: node.key
        )
        #expect(refused.status == 400)
        #expect(try refused.errorCode() == "invalid_max")
        #expect(try await server.request("GET", "/api/v1/jobs/\(first)").json()["state"] as? String == "running")

        // Delivered, and the next tiny.en job comes back in the answer; the base job stays queued.
        let answer = try await client.completeAll([Self.report(for: work)], thenClaim: ClaimRequest(models: ["tiny.en"], max: 5))
        #expect(answer.results.map(\.status) == [200])
        #expect(answer.claims?.map(\.job.id.rawValue) == [second])
        #expect(try await server.request("GET", "/api/v1/jobs/\(first)").json()["state"] as? String == "succeeded")
        let next = try #require(answer.claims?.first)
        let running = try await server.request("GET", "/api/v1/jobs/\(second)").json()
        #expect(running["state"] as? String == "running" && (running["lease"] as? [String: Any])?["holder"] as? String == "node:\(node.id)", "\(running)")
        #expect(try await server.request("GET", "/api/v1/jobs/\(baseJob)").json()["state"] as? String == "queued")

        // A stale delivery is refused on its own, and the claim is still answered (here: nothing
        // for tiny.en is left); without a claim, `claims` is absent.
        let stale = try await client.completeAll([Self.report(for: next, token: next.lease.token + 1)], thenClaim: ClaimRequest(models: ["tiny.en"]))
        #expect(stale.results.map(\.status) == [409] && stale.claims == [])
        let plain = try await server.request(
            "POST", "/api/v1/node/completions", body: try EarshotJSON.encoder().encode(CompletionBatch(completions: [Self.report(for: next)])),
            contentType: "application/json", bearer: node.key
        )
        #expect(plain.status == 200)
        #expect(try plain.json()["claims"] == nil, "no claim asked, none answered")
        #expect(try await server.request("GET", "/api/v1/jobs/\(second)").json()["state"] as? String == "succeeded")

        // A disabled node's delivery is stored, but it takes no new work.
        let reclaimed = try #require(try await client.claim(models: ["base"], waitSeconds: 0))
        #expect(reclaimed.job.id.rawValue == baseJob)
        let fourth = try await server.submit(clip, fields: ["model": "base"])
        #expect(try await server.request("POST", "/api/v1/nodes/\(node.id)/disable", bearer: Self.adminToken).status == 200)
        let disabled = try await client.completeAll([Self.report(for: reclaimed)], thenClaim: ClaimRequest(models: ["base"]))
        #expect(disabled.results.map(\.status) == [200] && disabled.claims == [])
        #expect(try await server.request("GET", "/api/v1/jobs/\(baseJob)").json()["state"] as? String == "succeeded")
        #expect(try await server.request("GET", "/api/v1/jobs/\(fourth)").json()["state"] as? String == "queued")
    }

    @Test("a node's work source delivers and takes the next job in one request; a job taken with a refused delivery is handed back at once")
    func workSourceTakesNextWork() async throws {
        let server = try await startServer("source-next")
        let node = try await register(server, "source")
        let source = HTTPWorkSource(
            client: NodeClient(baseURL: server.baseURL, apiKey: node.key), models: nil,
            scratchDirectory: try TestEnvironment.temporaryDirectory("source-next-scratch"), claimWaitSeconds: 0
        )
        let clip = try TestEnvironment.librivoxClips()[1].url
        let first = try await server.submit(clip)
        let second = try await server.submit(clip)
        let claimed = try #require(try await source.claim(holder: "ignored"))
        #expect(claimed.job.id.rawValue == first)
        let transcript = Self.report(for: ClaimedWork(job: claimed.job, lease: claimed.lease)).transcript
        let next = try #require(try await source.complete(claimed.lease, transcript: transcript, thenClaimFor: "ignored"))
        #expect(next.job.id.rawValue == second)
        #expect(next.job.leaseToken == next.lease.token, "the media download needs the token on the job")

        // The job is reset under the node (its lease is now stale) while a third is queued: the
        // delivery is refused as a lost lease, and the third job, taken along, goes back to the queue.
        _ = try await server.request("POST", "/api/v1/jobs/\(second)/reset")
        let third = try await server.submit(clip)
        let nextTranscript = Self.report(for: ClaimedWork(job: next.job, lease: next.lease)).transcript
        await #expect(throws: LeaseLostError.self) {
            _ = try await source.complete(next.lease, transcript: nextTranscript, thenClaimFor: "ignored")
        }
        for id in [second, third] {
            #expect(try await server.request("GET", "/api/v1/jobs/\(id)").json()["state"] as? String == "queued", "reset, or handed back: \(id)")
        }
        #expect(try await server.request("GET", "/api/v1/jobs/\(second)/transcript").errorCode() == "transcript_not_ready", "the refused delivery stored nothing")
    }

    @Test("wrong keys get 401, a disabled node gets no work, model routing, foreign leases 403, stale results 409")
    func refusals() async throws {
        let server = try await startServer("refusals")
        let tinyNode = try await register(server, "tiny-only")
        let baseNode = try await register(server, "has-base")

        #expect(try await claim(server, key: "esk_wrong").status == 401)
        #expect(try await claim(server, key: tinyNode.key + "x").status == 401)
        #expect(try await server.request("POST", "/api/v1/nodes", body: Data("{\"name\":\"x\"}".utf8), contentType: "application/json").status == 401)

        let clip = try TestEnvironment.librivoxClips()[1].url
        let baseJob = try await server.submit(clip, fields: ["model": "base"])
        #expect(try await claim(server, key: tinyNode.key, models: ["tiny.en"]).status == 204, "no tiny.en job is queued")
        let disable = try await server.request("POST", "/api/v1/nodes/\(baseNode.id)/disable", bearer: Self.adminToken)
        #expect(disable.status == 200)
        #expect(try await claim(server, key: baseNode.key, models: ["base"]).status == 204, "disabled nodes get no work")
        _ = try await server.request("POST", "/api/v1/nodes/\(baseNode.id)/enable", bearer: Self.adminToken)
        let work = try await claim(server, key: baseNode.key, models: ["base", "tiny.en"])
        #expect(work.status == 200)
        let claimed = try EarshotJSON.decoder().decode(ClaimedWork.self, from: work.body)
        #expect(claimed.job.id.rawValue == baseJob)

        // Another node presenting this lease is refused; so is a stale token.
        let report = try EarshotJSON.encoder().encode(ProgressReport(lease: LeaseReference(claimed.lease), progress: 0.5))
        let foreign = try await server.request("POST", "/api/v1/node/jobs/\(baseJob)/progress", body: report, contentType: "application/json", bearer: tinyNode.key)
        #expect(foreign.status == 403)
        #expect(try await server.request("POST", "/api/v1/node/jobs/\(baseJob)/progress", body: report, contentType: "application/json", bearer: baseNode.key).status == 200)

        let reset = try await server.request("POST", "/api/v1/jobs/\(baseJob)/reset")
        #expect(try reset.json()["state"] as? String == "queued")
        let stale = try await server.request("POST", "/api/v1/node/jobs/\(baseJob)/progress", body: report, contentType: "application/json", bearer: baseNode.key)
        #expect(stale.status == 409)
        #expect(try stale.errorCode() == "lease_stale")

        // "test" explains why a node cannot take work, then passes once it heartbeats.
        let silent = try await server.request("POST", "/api/v1/nodes/\(tinyNode.id)/test", bearer: Self.adminToken).json()
        #expect(silent["ok"] as? Bool == false)
        #expect((silent["reason"] as? String)?.contains("never sent a heartbeat") == true)
        let beat = NodeHeartbeat(
            capabilities: NodeCapabilities(engines: ["faster-whisper"], models: ["tiny.en"], device: "cpu", slots: 1, freeSlots: 1),
            runningJobs: []
        )
        let beatReply = try await server.request(
            "POST", "/api/v1/node/heartbeat", body: try EarshotJSON.encoder().encode(beat), contentType: "application/json", bearer: tinyNode.key
        )
        #expect(beatReply.status == 200)
        let healthy = try await server.request("POST", "/api/v1/nodes/\(tinyNode.id)/test", bearer: Self.adminToken).json()
        #expect(healthy["ok"] as? Bool == true, "\(healthy)")
        #expect(healthy["state"] as? String == "online")

        // The admin view shows both nodes with their state.
        let list = try await server.request("GET", "/api/v1/nodes", bearer: Self.adminToken).json()
        let names = (list["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted()
        #expect(names == ["has-base", "tiny-only"])
        let stats = try await server.request("GET", "/api/v1/queue/stats").json()
        #expect(stats["queued"] as? Int == 1)
    }

    @Test("a long-polling node gets a new job as soon as it is queued")
    func longPollPickup() async throws {
        let server = try await startServer("pickup")
        let node = try await register(server, "waiter")
        async let claimed = claim(server, key: node.key, wait: 20)
        // The claim is already waiting on the server when the upload lands; it is answered at once.
        let clip = try TestEnvironment.librivoxClips()[1].url
        let submitted = Date()
        let id = try await server.submit(clip)
        let reply = try await claimed
        #expect(reply.status == 200)
        #expect(try EarshotJSON.decoder().decode(ClaimedWork.self, from: reply.body).job.id.rawValue == id)
        #expect(Date().timeIntervalSince(submitted) < 5, "answered on enqueue, not at the end of the wait")
    }

    @Test("when several nodes wait, the preferred (lower priority value) node gets the job")
    func priorityTieBreak() async throws {
        let server = try await startServer("priority")
        let fallback = try await register(server, "fallback", priority: 5).key
        let preferred = try await register(server, "preferred", priority: 0).key
        async let fallbackClaim = claim(server, key: fallback, wait: 4)
        async let preferredClaim = claim(server, key: preferred, wait: 4)
        // Submit only once both are waiting on the server.
        try await waitForWaitingNodes(server, 2)
        _ = try await server.submit(try TestEnvironment.librivoxClips()[1].url)
        let (slow, fast) = try await (fallbackClaim, preferredClaim)
        #expect(fast.status == 200, "the preferred node got the job")
        #expect(slow.status == 204)
    }

    @Test("a preferred node that cannot run a waiting job passes its turn: the node that can gets it at once, not at the end of its wait")
    func turnPassedOn() async throws {
        let server = try await startServer("turns")
        let preferred = try await register(server, "base-only", priority: 0).key
        let other = try await register(server, "tiny-only", priority: 5).key
        async let preferredClaim = claim(server, key: preferred, models: ["base"], wait: 8)
        async let otherClaim = claim(server, key: other, models: ["tiny.en"], wait: 20)
        try await waitForWaitingNodes(server, 2)
        let submitted = Date()
        let job = try await server.submit(try TestEnvironment.librivoxClips()[1].url, fields: ["model": "tiny.en"])
        let taken = try await otherClaim
        #expect(taken.status == 200)
        #expect(try EarshotJSON.decoder().decode(ClaimedWork.self, from: taken.body).job.id.rawValue == job)
        #expect(Date().timeIntervalSince(submitted) < 5, "woken by the preferred node's passed turn, not by its own 20 s wait")
        #expect(try await preferredClaim.status == 204)
    }
}
