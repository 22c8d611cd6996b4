import EarshotCore
import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Testing

@Suite("Heartbeats reclaim abandoned leases")
struct AbandonedLeaseTests {
    @Test("a heartbeat that no longer lists a job the node holds re-queues it at once")
    func heartbeatReclaimsUnlistedJob() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let json: HTTPFields = [.contentType: "application/json"]
        let registered = try await server.send(.post, "/api/v1/nodes", headers: json, body: Array(#"{"name":"restarted"}"#.utf8))
        let registration = try EarshotJSON.decoder().decode(NodeRegistration.self, from: Data(registered.body))
        let node = try #require(try await server.store.nodes().first)

        // The node held two jobs, claimed a minute ago; after a restart its heartbeat lists only one.
        let minuteAgo = Date().addingTimeInterval(-60)
        let kept = try await server.store.createJob(Self.newJob(), now: minuteAgo)
        let lost = try await server.store.createJob(Self.newJob(), now: minuteAgo)
        for _ in 0..<2 {
            _ = try #require(try await server.store.claimNext(holder: node.leaseHolder, leaseSeconds: 120, models: nil, now: minuteAgo))
        }
        let capabilities = NodeCapabilities(engines: ["faster-whisper"], models: ["tiny.en"], device: "cpu", slots: 2, freeSlots: 1)
        let heartbeat = try EarshotJSON.encoder().encode(NodeHeartbeat(capabilities: capabilities, runningJobs: [kept.id]))
        var headers = json
        headers[.authorization] = "Bearer \(registration.apiKey)"
        let reply = try await server.send(.post, "/api/v1/node/heartbeat", headers: headers, body: Array(heartbeat))
        #expect(reply.status == 200)

        #expect(try await server.store.job(kept.id).state == .running)
        let requeued = try await server.store.job(lost.id)
        #expect(requeued.state == .queued)
        #expect(requeued.lastError?.code == "lease_abandoned")
    }

    static func newJob() -> NewJob {
        NewJob(
            id: .generate(), priority: 0, options: TranscriptionOptions(model: "tiny.en", language: nil, beamSize: 5, wordTimestamps: false),
            media: MediaInfo(sha256: String(repeating: "a", count: 64), filename: "a.wav", contentType: nil, sizeBytes: 1, durationSeconds: 1),
            maxAttempts: 3
        )
    }
}
