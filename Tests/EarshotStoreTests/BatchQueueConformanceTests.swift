import EarshotCore
import EarshotStore
import Foundation
import Testing

/// A node with several free slots claims and completes several jobs per call; each job must fare
/// exactly as it would one call at a time.
@Suite("Batched claims and completions conformance")
struct BatchQueueConformanceTests {
    @Test("claimJobs takes up to the limit, best first, each with its own lease, attempt and event", arguments: StoreKind.allCases)
    func claimsUpToLimit(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let low = try await store.createJob(newJob(priority: 0), now: at(0))
        let high = try await store.createJob(newJob(priority: 5), now: at(1))
        let lowLater = try await store.createJob(newJob(priority: 0), now: at(2))

        let pair = try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: nil, canDiarize: false, limit: 2, now: at(3))
        #expect(pair.map(\.job.id) == [high.id, low.id])
        #expect(pair.allSatisfy { $0.job.state == .running && $0.lease.holder == "node:a" && $0.lease.attempt == 1 })
        #expect(Set(pair.map(\.lease.jobID)) == Set([high.id, low.id]))
        let rest = try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: nil, canDiarize: false, limit: 8, now: at(4))
        #expect(rest.map(\.job.id) == [lowLater.id])
        #expect(try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: nil, canDiarize: false, limit: 8, now: at(5)).isEmpty)
        #expect(try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: nil, canDiarize: false, limit: 0, now: at(5)).isEmpty)

        let claimedEvents = try await store.events(after: 0, filter: EventTypeFilter(types: [.jobClaimed]), correlationId: nil, limit: 10)
        #expect(claimedEvents.map(\.correlationId) == [high.id.rawValue, low.id.rawValue, lowLater.id.rawValue])
        for job in [low, high, lowLater] {
            #expect(try await store.attempts(of: job.id).map(\.outcome) == [.running])
        }
    }

    @Test("claimJobs respects the model filter and never hands one job to two callers", arguments: StoreKind.allCases)
    func concurrentBatches(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        let store = try await fixture.open()
        let other = try await fixture.open()
        var base = newJob()
        base.options.model = "base"
        let baseJob = try await store.createJob(base, now: at(0))
        for index in 0..<30 { _ = try await store.createJob(newJob(name: "\(index)"), now: at(0)) }
        #expect(try await store.claimJobs(holder: "w", leaseSeconds: 30, models: ["base"], canDiarize: false, limit: 5, now: at(1)).map(\.job.id) == [baseJob.id])
        let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for worker in 0..<6 {
                let target = worker.isMultiple(of: 2) ? store : other
                group.addTask {
                    var mine: [JobID] = []
                    while true {
                        let batch = try await target.claimJobs(holder: "w\(worker)", leaseSeconds: 30, models: ["tiny.en"], canDiarize: false, limit: 4, now: at(1))
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.job.id)
                    }
                }
            }
            return try await group.reduce(into: [JobID]()) { $0 += $1 }
        }
        #expect(claimed.count == 30 && Set(claimed).count == 30)
    }

    @Test("completeAll stores each good result and refuses a lost lease alone, as complete would", arguments: StoreKind.allCases)
    func completesIndependently(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let jobs = [try await store.createJob(newJob(), now: at(0)), try await store.createJob(newJob(), now: at(0)), try await store.createJob(newJob(), now: at(0))]
        let claimed = try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: nil, canDiarize: false, limit: 3, now: at(1))
        #expect(claimed.count == 3)
        let cancelled = try await store.cancel(claimed[2].job.id, now: at(2))
        #expect(cancelled.state == .cancelled)
        var stale = claimed[1].lease
        stale.token += 1

        var foreign = claimed[0].lease
        foreign.holder = "node:b"
        let outcomes = try await store.completeAll([
            JobResult(lease: foreign, transcript: sampleTranscript(for: claimed[0].job.id)),
            JobResult(lease: claimed[0].lease, transcript: sampleTranscript(for: claimed[0].job.id)),
            JobResult(lease: stale, transcript: sampleTranscript(for: claimed[1].job.id)),
            JobResult(lease: claimed[2].lease, transcript: sampleTranscript(for: claimed[2].job.id)),
        ], now: at(3))
        #expect(outcomes.count == 4)
        guard case .rejected(.leaseHeldByAnother) = outcomes[0] else { Issue.record("another holder's lease was accepted: \(outcomes[0])"); return }
        guard case .completed(let done) = outcomes[1] else { Issue.record("the good result was refused: \(outcomes[1])"); return }
        #expect(done.id == claimed[0].job.id && done.state == .succeeded)
        #expect(try await store.job(done.id) == done)
        guard case .rejected(.leaseLost(_, .stale)) = outcomes[2] else { Issue.record("a stale token was accepted: \(outcomes[2])"); return }
        guard case .rejected(.leaseLost(_, .cancelled)) = outcomes[3] else { Issue.record("a cancelled job was completed: \(outcomes[3])"); return }

        #expect(try await store.transcript(of: claimed[0].job.id)?.segments.map(\.text) == sampleTranscript(for: claimed[0].job.id).segments.map(\.text))
        #expect(try await store.transcript(of: claimed[1].job.id) == nil)
        #expect(try await store.job(claimed[1].job.id).state == .running)
        #expect(try await store.job(claimed[2].job.id).state == .cancelled)
        // The refused one still completes with its real lease, later.
        let later = try await store.completeAll([JobResult(lease: claimed[1].lease, transcript: sampleTranscript(for: claimed[1].job.id))], now: at(4))
        guard case .completed(let second) = later.first else { Issue.record("the real lease was refused: \(later)"); return }
        #expect(second.state == .succeeded)
        let succeeded = try await store.events(after: 0, filter: EventTypeFilter(types: [.jobSucceeded]), correlationId: nil, limit: 10)
        #expect(succeeded.map(\.correlationId) == [jobs[0].id.rawValue, jobs[1].id.rawValue])
    }

    @Test("completeAll then claim: the results fare as completeAll's, then the claim takes what claimJobs would, whatever the outcomes", arguments: StoreKind.allCases)
    func completesThenClaims(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        var base = newJob()
        base.options.model = "base"
        let first = try await store.createJob(newJob(priority: 9), now: at(0))
        let second = try await store.createJob(newJob(priority: 8), now: at(0))
        let baseJob = try await store.createJob(base, now: at(0))
        let fourth = try await store.createJob(newJob(), now: at(0))
        let fifth = try await store.createJob(newJob(), now: at(0))
        let claimed = try await store.claimJobs(holder: "node:a", leaseSeconds: 30, models: ["tiny.en"], canDiarize: false, limit: 2, now: at(1))
        #expect(claimed.map(\.job.id) == [first.id, second.id])
        var stale = claimed[1].lease
        stale.token += 1

        let criteria = ClaimCriteria(holder: "node:a", leaseSeconds: 30, models: ["tiny.en"], canDiarize: false, limit: 1)
        let done = try await store.completeAll([
            JobResult(lease: claimed[0].lease, transcript: sampleTranscript(for: first.id)),
            JobResult(lease: stale, transcript: sampleTranscript(for: second.id)),
        ], thenClaim: criteria, now: at(2))
        guard case .completed(let stored) = done.outcomes.first, done.outcomes.count == 2 else { Issue.record("\(done.outcomes)"); return }
        #expect(stored.id == first.id && stored.state == .succeeded)
        guard case .rejected(.leaseLost(_, .stale)) = done.outcomes[1] else { Issue.record("a stale token was accepted: \(done.outcomes[1])"); return }
        #expect(done.claimed.map(\.job.id) == [fourth.id], "the limit, in order, tiny.en only")
        #expect(done.claimed.allSatisfy { $0.lease.holder == "node:a" && $0.lease.attempt == 1 && $0.job.state == .running })
        #expect(try await store.job(second.id).state == .running, "the refused one keeps its real lease")
        #expect(try await store.job(baseJob.id).state == .queued)

        // Nothing claimable for the criteria: the results are still stored.
        let none = try await store.completeAll(
            [JobResult(lease: claimed[1].lease, transcript: sampleTranscript(for: second.id))],
            thenClaim: ClaimCriteria(holder: "node:a", leaseSeconds: 30, models: ["large"], canDiarize: false, limit: 4), now: at(3)
        )
        guard case .completed = none.outcomes.first else { Issue.record("\(none.outcomes)"); return }
        #expect(none.claimed.isEmpty)
        #expect(try await store.job(fifth.id).state == .queued)
        let claimedEvents = try await store.events(after: 0, filter: EventTypeFilter(types: [.jobClaimed]), correlationId: nil, limit: 10)
        #expect(claimedEvents.map(\.correlationId) == [first.id.rawValue, second.id.rawValue, fourth.id.rawValue])
    }
}
