import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Event log conformance")
struct EventLogConformanceTests {
    @Test("each change appends its events, in order, correlated with the job", arguments: StoreKind.allCases)
    func lifecycleEvents(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "node:n1", leaseSeconds: 30, models: nil, now: at(1)))
        var lease = try await store.heartbeat(
            claimed.lease, progress: 0.5, partial: PartialSegments(firstIndex: 0, segments: [Segment(start: 0, end: 1, text: "hi")]),
            leaseSeconds: 30, now: at(2)
        )
        // An unchanged progress figure is not news.
        lease = try await store.heartbeat(lease, progress: 0.5, leaseSeconds: 30, now: at(3))
        _ = try await store.complete(lease, transcript: sampleTranscript(for: job.id), now: at(4))

        let events = try await store.events(after: 0, filter: .all, correlationId: nil, limit: 100)
        #expect(events.map(\.type) == [.jobCreated, .jobClaimed, .jobProgress, .jobSegment, .jobSucceeded, .transcriptCreated])
        #expect(events.allSatisfy { $0.correlationId == job.id.rawValue })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.seq < $1.seq })
        #expect(Set(events.map(\.id)).count == events.count)
        #expect(events[1].source == "node:n1")
        #expect(events[5].causationId == events[4].id)
        guard case .job(let claimData) = events[1].data else { Issue.record("job.claimed carries job data"); return }
        #expect(claimData.attempt == 1 && claimData.holder == "node:n1" && claimData.state == .running)
        guard case .segments(let segments) = events[3].data else { Issue.record("job.segment carries segments"); return }
        #expect(segments.segments.map(\.text) == ["hi"])
        #expect(try await store.latestEventSeq() == events.last?.seq)

        // Reading resumes after a seq with nothing skipped or repeated; filters narrow it.
        let rest = try await store.events(after: events[2].seq, filter: .all, correlationId: nil, limit: 100)
        #expect(rest.map(\.seq) == events.dropFirst(3).map(\.seq))
        let onlyJobState = try await store.events(after: 0, filter: try EventTypeFilter(parsing: "job.succeeded,transcript.*"), correlationId: nil, limit: 100)
        #expect(onlyJobState.map(\.type) == [.jobSucceeded, .transcriptCreated])
        #expect(try await store.events(after: 0, filter: .all, correlationId: "other", limit: 100).isEmpty)
    }

    @Test("a rejected change leaves no event; retries, failures, cancels and deletes are recorded", arguments: StoreKind.allCases)
    func noEventWithoutChange(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open(retryPolicy: RetryPolicy(baseDelaySeconds: 1, maxDelaySeconds: 1))
        let job = try await store.createJob(newJob(maxAttempts: 2), now: at(0))
        let first = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(1)))
        _ = try await store.fail(first.lease, error: .engine("boom"), retryable: true, now: at(2))
        let before = try await store.latestEventSeq()
        #expect(await leaseLoss { _ = try await store.complete(first.lease, transcript: sampleTranscript(for: job.id), now: at(3)) } == .stale)
        #expect(try await store.latestEventSeq() == before, "a stale completion appends nothing")

        let second = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(5)))
        _ = try await store.fail(second.lease, error: .engine("boom"), retryable: true, now: at(6))
        _ = try await store.retry(job.id, now: at(7))
        _ = try await store.cancel(job.id, now: at(8))
        _ = try await store.delete(job.id)
        let types = try await store.events(after: 0, filter: .all, correlationId: job.id.rawValue, limit: 100).map(\.type)
        #expect(types == [.jobCreated, .jobClaimed, .jobRetried, .jobClaimed, .jobFailed, .jobRetried, .jobCancelled, .jobDeleted])
    }

    @Test("pruning keeps the newest events and never reuses a seq", arguments: StoreKind.allCases)
    func pruning(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        for second in 0..<10 { _ = try await store.createJob(newJob(), now: at(Double(second))) }
        #expect(try await store.pruneEvents(olderThan: at(3), keepingAtMost: 5) == 5)
        let left = try await store.events(after: 0, filter: .all, correlationId: nil, limit: 100)
        #expect(left.count == 5)
        #expect(try await store.oldestEventSeq() == left.first?.seq)
        let newest = try #require(left.last?.seq)
        _ = try await store.pruneEvents(olderThan: at(100), keepingAtMost: 0)
        _ = try await store.createJob(newJob(), now: at(200))
        #expect(try await store.latestEventSeq() > newest)
    }

    @Test("the latest event of a type and correlation is the newest one, and only of that pair", arguments: StoreKind.allCases)
    func latestOfType(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        func state(_ name: String, _ state: StreamState, restarts: Int, correlation: String = "stream-a", at time: Double) async throws {
            _ = try await store.appendEvent(NewEvent(
                type: .streamStateChanged, correlationId: correlation, source: "stream:\(name)",
                data: .stream(StreamEventData(streamId: name, name: name, state: state, restarts: restarts))
            ), now: at(time))
        }
        try await state("a", .connecting, restarts: 0, at: 1)
        try await state("a", .running, restarts: 0, at: 2)
        try await state("b", .retrying, restarts: 3, correlation: "stream-b", at: 3)
        let job = try await store.createJob(newJob(), now: at(4))
        let latest = try #require(try await store.latestEvent(type: .streamStateChanged, correlationId: "stream-a"))
        guard case .stream(let data) = latest.data else { Issue.record("not a stream event: \(latest)"); return }
        #expect(data.state == .running && latest.time == at(2))
        #expect(try await store.latestEvent(type: .streamStateChanged, correlationId: job.id.rawValue) == nil)
        #expect(try await store.latestEvent(type: .jobCreated, correlationId: job.id.rawValue)?.type == .jobCreated)
        #expect(try await store.latestEvent(type: .streamStateChanged, correlationId: "stream-none") == nil)
    }
}
