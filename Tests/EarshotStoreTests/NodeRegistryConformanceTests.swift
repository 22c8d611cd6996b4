import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Node registry and routing conformance")
struct NodeRegistryConformanceTests {
    func makeNode(_ name: String, priority: Int = 0) -> Node {
        Node(
            id: UUID().uuidString.lowercased(), name: name, priority: priority, disabled: false, createdAt: at(0),
            lastHeartbeatAt: nil, capabilities: nil, jobsDone: 0, audioSecondsDone: 0
        )
    }

    @Test("nodes are found by key hash only, heartbeats and flags persist", arguments: StoreKind.allCases)
    func registry(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        let store = try await fixture.open()
        let node = try await store.createNode(makeNode("gpu-box", priority: 2), keyHash: "hash-1")
        await #expect(throws: StoreError.duplicateNodeName("gpu-box")) { _ = try await store.createNode(makeNode("gpu-box"), keyHash: "hash-2") }
        #expect(try await store.node(keyHash: "hash-1")?.id == node.id)
        #expect(try await store.node(keyHash: "unknown") == nil)

        let capabilities = NodeCapabilities(engines: ["faster-whisper"], models: ["tiny.en"], device: "cpu", slots: 2, freeSlots: 1)
        let beat = try await store.recordHeartbeat(nodeID: node.id, capabilities: capabilities, now: at(10))
        #expect(beat.capabilities == capabilities)
        #expect(beat.state(now: at(20), heartbeatTimeoutSeconds: 60, holdsJobs: false) == .online)
        #expect(beat.state(now: at(20), heartbeatTimeoutSeconds: 60, holdsJobs: true) == .busy)
        #expect(beat.state(now: at(71), heartbeatTimeoutSeconds: 60, holdsJobs: false) == .offline)

        let disabled = try await store.setNodeDisabled(node.id, disabled: true)
        #expect(disabled.state(now: at(20), heartbeatTimeoutSeconds: 60, holdsJobs: false) == .disabled)
        let reopened = try await fixture.open()
        #expect(try await reopened.node(id: node.id).disabled)
        try await reopened.deleteNode(node.id)
        #expect(try await reopened.node(keyHash: "hash-1") == nil)
        await #expect(throws: StoreError.nodeNotFound(node.id)) { _ = try await reopened.node(id: node.id) }
    }

    @Test("a job asking for a model goes only to a worker that has it", arguments: StoreKind.allCases)
    func modelRouting(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        var baseJob = newJob(priority: 5)
        baseJob.options.model = "base"
        let base = try await store.createJob(baseJob, now: at(0))
        let tiny = try await store.createJob(newJob(priority: 0), now: at(1))

        let tinyOnly = try #require(try await store.claimNext(holder: "tiny-node", leaseSeconds: 30, models: ["tiny.en"], now: at(2)))
        #expect(tinyOnly.job.id == tiny.id, "the higher-priority base job is skipped by a node without base")
        #expect(try await store.claimNext(holder: "tiny-node", leaseSeconds: 30, models: ["tiny.en"], now: at(2)) == nil)
        #expect(try await store.claimNext(holder: "none", leaseSeconds: 30, models: [], now: at(2)) == nil)
        let baseNode = try #require(try await store.claimNext(holder: "base-node", leaseSeconds: 30, models: ["base", "tiny.en"], now: at(2)))
        #expect(baseNode.job.id == base.id)
    }

    @Test("completions are credited to the node; reset puts a stuck job back at once", arguments: StoreKind.allCases)
    func creditAndReset(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let node = try await store.createNode(makeNode("worker-1"), keyHash: "k")
        let job = try await store.createJob(newJob(), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: node.leaseHolder, leaseSeconds: 120, models: nil, now: at(1)))
        #expect(try await store.runningJobs(heldBy: node.leaseHolder) == [job.id])

        let reset = try await store.reset(job.id, now: at(2))
        #expect(reset.state == .queued && reset.attemptsUsed == 0)
        #expect(try await store.runningJobs(heldBy: node.leaseHolder).isEmpty)
        #expect(await leaseLoss { _ = try await store.heartbeat(claimed.lease, progress: 0.1, leaseSeconds: 120, now: at(3)) } == .stale)

        let again = try #require(try await store.claimNext(holder: node.leaseHolder, leaseSeconds: 120, models: nil, now: at(3)))
        _ = try await store.complete(again.lease, transcript: sampleTranscript(for: job.id), now: at(4))
        let credited = try await store.node(id: node.id)
        #expect(credited.jobsDone == 1)
        #expect(credited.audioSecondsDone == 1.5)
        #expect(try await store.throughput(since: at(0)) == (jobs: 1, audioSeconds: 1.5))
        await #expect(throws: StoreError.self) { _ = try await store.reset(job.id, now: at(5)) }
    }

    @Test("leases a node no longer reports are reclaimed; fresh claims and other holders are left alone", arguments: StoreKind.allCases)
    func abandonedLeases(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let kept = try await store.createJob(newJob(), now: at(0))
        let lost = try await store.createJob(newJob(), now: at(0))
        let fresh = try await store.createJob(newJob(), now: at(0))
        let foreign = try await store.createJob(newJob(), now: at(0))
        _ = try #require(try await store.claimNext(holder: "node:a", leaseSeconds: 120, models: nil, now: at(1)))
        _ = try #require(try await store.claimNext(holder: "node:a", leaseSeconds: 120, models: nil, now: at(1)))
        _ = try #require(try await store.claimNext(holder: "node:a", leaseSeconds: 120, models: nil, now: at(19)))
        _ = try #require(try await store.claimNext(holder: "node:b", leaseSeconds: 120, models: nil, now: at(1)))

        // At t=20 node a reports only `kept`; `fresh` was claimed after t=10, so its answer may still be in flight.
        let reclaimed = try await store.reclaimAbandonedLeases(heldBy: "node:a", running: [kept.id], claimedBefore: at(10), now: at(20))
        #expect(reclaimed == [lost.id])
        #expect(try await store.job(lost.id).state == .queued)
        #expect(try await store.job(lost.id).lastError?.code == "lease_abandoned")
        #expect(try await store.attempts(of: lost.id).map(\.outcome) == [.expired])
        for id in [kept.id, fresh.id, foreign.id] { #expect(try await store.job(id).state == .running) }

        // A node that restarted reports nothing: everything it held long enough goes back.
        let all = try await store.reclaimAbandonedLeases(heldBy: "node:a", running: [], claimedBefore: at(30), now: at(30))
        #expect(Set(all) == [kept.id, fresh.id])
        #expect(try await store.job(foreign.id).state == .running)
    }

    @Test("presence events fire on transitions only: registered, online once, offline once, online again", arguments: StoreKind.allCases)
    func presenceEvents(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let node = try await store.createNode(makeNode("presence"), keyHash: "p")
        let capabilities = NodeCapabilities(engines: ["faster-whisper"], models: ["tiny.en"], device: "cpu", slots: 1, freeSlots: 1)
        _ = try await store.recordHeartbeat(nodeID: node.id, capabilities: capabilities, now: at(1))
        _ = try await store.recordHeartbeat(nodeID: node.id, capabilities: capabilities, now: at(16))
        #expect(try await store.markSilentNodesOffline(silentSince: at(10), now: at(20)).isEmpty, "heard from at 16")
        #expect(try await store.markSilentNodesOffline(silentSince: at(30), now: at(80)) == [node.id])
        #expect(try await store.markSilentNodesOffline(silentSince: at(40), now: at(90)).isEmpty, "already offline")
        _ = try await store.recordHeartbeat(nodeID: node.id, capabilities: capabilities, now: at(100))
        let events = try await store.events(after: 0, filter: try EventTypeFilter(parsing: "node.*"), correlationId: nil, limit: 10)
        #expect(events.map(\.type) == [.nodeRegistered, .nodeOnline, .nodeOffline, .nodeOnline])
        #expect(events.allSatisfy { event in
            if case .node(let data) = event.data { return data.nodeId == node.id && data.name == "presence" }
            return false
        })
    }
}
