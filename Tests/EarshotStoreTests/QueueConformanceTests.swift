import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Queue conformance")
struct QueueConformanceTests {
    @Test("claims highest priority first, then oldest", arguments: StoreKind.allCases)
    func claimOrdering(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let low = try await store.createJob(newJob(priority: 0), now: at(0))
        let highLater = try await store.createJob(newJob(priority: 5), now: at(1))
        let lowLater = try await store.createJob(newJob(priority: 0), now: at(2))
        let highLatest = try await store.createJob(newJob(priority: 5), now: at(3))

        var order: [JobID] = []
        while let claimed = try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(10)) {
            order.append(claimed.job.id)
            #expect(claimed.job.state == .running)
        }
        #expect(order == [highLater.id, highLatest.id, low.id, lowLater.id])
    }

    @Test("an expired lease is reclaimed and its stale token rejected", arguments: StoreKind.allCases)
    func leaseExpiry(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(), now: at(0))
        let first = try #require(try await store.claimNext(holder: "a", leaseSeconds: 10, models: nil, now: at(1)))
        #expect(try await store.claimNext(holder: "b", leaseSeconds: 10, models: nil, now: at(5)) == nil)

        // Past the lease (and past the 10 s retry backoff), another worker gets the job.
        #expect(try await store.claimNext(holder: "b", leaseSeconds: 10, models: nil, now: at(12)) == nil)
        let reclaimedJob = try await store.job(job.id)
        #expect(reclaimedJob.state == .queued)
        #expect(reclaimedJob.attemptsUsed == 1)
        #expect(reclaimedJob.lastError?.code == "lease_expired")
        let second = try #require(try await store.claimNext(holder: "b", leaseSeconds: 10, models: nil, now: at(30)))
        #expect(second.job.id == job.id)
        #expect(second.lease.token > first.lease.token)

        #expect(await leaseLoss { _ = try await store.heartbeat(first.lease, progress: 0.5, leaseSeconds: 10, now: at(31)) } == .stale)
        #expect(await leaseLoss { _ = try await store.complete(first.lease, transcript: sampleTranscript(for: job.id), now: at(31)) } == .stale)
        #expect(await leaseLoss { _ = try await store.fail(first.lease, error: .engine("x"), retryable: true, now: at(31)) } == .stale)

        let done = try await store.complete(second.lease, transcript: sampleTranscript(for: job.id), now: at(32))
        #expect(done.state == .succeeded)
        let attempts = try await store.attempts(of: job.id)
        #expect(attempts.map(\.outcome) == [.expired, .succeeded])
    }

    @Test("heartbeats extend the lease and record progress", arguments: StoreKind.allCases)
    func heartbeatExtends(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "a", leaseSeconds: 10, models: nil, now: at(0)))
        var lease = claimed.lease
        for step in 1...5 {
            lease = try await store.heartbeat(lease, progress: Double(step) / 10, leaseSeconds: 10, now: at(Double(step * 8)))
        }
        // 40 s after the claim, far past the first 10 s lease, the job is still this worker's.
        #expect(try await store.reclaimExpiredLeases(now: at(45)) == [])
        let running = try await store.job(job.id)
        #expect(running.state == .running)
        #expect(abs(running.progress - 0.5) < 1e-9)
        #expect(running.leaseExpiresAt == at(50))
    }

    @Test("failures retry with exponential backoff, then fail with the last error", arguments: StoreKind.allCases)
    func retryBackoff(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open(retryPolicy: RetryPolicy(baseDelaySeconds: 10, maxDelaySeconds: 1000))
        _ = try await store.createJob(newJob(maxAttempts: 3), now: at(0))

        let first = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(0)))
        let afterFirst = try await store.fail(first.lease, error: .engine("boom 1"), retryable: true, now: at(1))
        #expect(afterFirst.state == .queued)
        #expect(afterFirst.notBefore == at(11))
        #expect(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(10.9)) == nil)
        #expect(try await store.nextClaimableTime() == at(11))

        let second = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(11)))
        let afterSecond = try await store.fail(second.lease, error: .engine("boom 2"), retryable: true, now: at(12))
        #expect(afterSecond.notBefore == at(32))  // 2 × base
        #expect(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(31)) == nil)

        let third = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(32)))
        let final = try await store.fail(third.lease, error: .engine("boom 3"), retryable: true, now: at(33))
        #expect(final.state == .failed)
        #expect(final.attemptsUsed == 3)
        #expect(final.lastError == .engine("boom 3"))
        #expect(final.finishedAt == at(33))
        #expect(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(5000)) == nil)
    }

    @Test("a non-retryable failure fails the job at once", arguments: StoreKind.allCases)
    func nonRetryable(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(maxAttempts: 3), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(0)))
        let failed = try await store.fail(claimed.lease, error: .unsupportedMedia("not audio"), retryable: false, now: at(1))
        #expect(failed.state == .failed)
        #expect(failed.lastError?.code == "unsupported_media")
        #expect(try await store.job(job.id).attemptsUsed == 1)
    }

    @Test("cancel stops queued and running jobs; the running worker learns it", arguments: StoreKind.allCases)
    func cancel(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let queued = try await store.createJob(newJob(priority: 0), now: at(0))
        let running = try await store.createJob(newJob(priority: 9), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(1)))
        #expect(claimed.job.id == running.id)

        #expect(try await store.cancel(queued.id, now: at(2)).state == .cancelled)
        #expect(try await store.cancel(running.id, now: at(2)).state == .cancelled)
        #expect(await leaseLoss { _ = try await store.heartbeat(claimed.lease, progress: 0.3, leaseSeconds: 30, now: at(3)) } == .cancelled)
        #expect(await leaseLoss { _ = try await store.complete(claimed.lease, transcript: sampleTranscript(for: running.id), now: at(3)) } == .cancelled)
        #expect(try await store.transcript(of: running.id) == nil)
        #expect(try await store.attempts(of: running.id).map(\.outcome) == [.cancelled])

        await #expect(throws: StoreError.invalidTransition(queued.id, from: .cancelled, action: "cancel")) {
            _ = try await store.cancel(queued.id, now: at(4))
        }
        #expect(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(5)) == nil)
    }

    @Test("retry re-queues a failed or cancelled job with fresh attempts", arguments: StoreKind.allCases)
    func retry(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(maxAttempts: 1), now: at(0))
        await #expect(throws: StoreError.self) { _ = try await store.retry(job.id, now: at(0)) }
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(0)))
        _ = try await store.fail(claimed.lease, error: .engine("x"), retryable: true, now: at(1))
        #expect(try await store.job(job.id).state == .failed)

        let retried = try await store.retry(job.id, now: at(2))
        #expect(retried.state == .queued)
        #expect(retried.attemptsUsed == 0)
        #expect(retried.lastError == nil)
        let again = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(3)))
        #expect(again.lease.attempt == 2)
    }

    @Test("release gives the job back at once without counting the attempt", arguments: StoreKind.allCases)
    func release(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(0)))
        let released = try await store.release(claimed.lease, now: at(1))
        #expect(released.state == .queued)
        #expect(released.attemptsUsed == 0)
        #expect(released.notBefore == nil)
        let next = try #require(try await store.claimNext(holder: "other", leaseSeconds: 30, models: nil, now: at(1)))
        #expect(next.job.id == job.id)
        #expect(try await store.attempts(of: job.id).map(\.outcome) == [.released, .running])
    }

    @Test("jobs, attempts and transcripts survive reopening the database", arguments: StoreKind.allCases)
    func restartSurvival(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        var ids: [JobID] = []
        do {
            let store = try await fixture.open()
            for index in 0..<3 { ids.append(try await store.createJob(newJob(name: "\(index).wav"), now: at(Double(index))).id) }
            let done = try #require(try await store.claimNext(holder: "builtin:old:1", leaseSeconds: 30, models: nil, now: at(5)))
            _ = try await store.complete(done.lease, transcript: sampleTranscript(for: done.job.id), now: at(6))
            _ = try #require(try await store.claimNext(holder: "builtin:old:1", leaseSeconds: 30, models: nil, now: at(7)))
        }
        let reopened = try await fixture.open()
        let counts = try await reopened.stateCounts()
        #expect(counts[.succeeded] == 1 && counts[.running] == 1 && counts[.queued] == 1)
        #expect(try await reopened.transcript(of: ids[0]) == sampleTranscript(for: ids[0]))

        // The restarted server knows its previous built-in workers are dead and re-queues their job.
        #expect(try await reopened.reclaimLeases(heldBy: ["builtin:old:1"], now: at(8)) == [ids[1]])
        #expect(try await reopened.claimNext(holder: "builtin:new:1", leaseSeconds: 30, models: nil, now: at(100))?.job.id == ids[1])
    }

    @Test("concurrent claims never hand one job to two workers", arguments: StoreKind.allCases)
    func concurrentClaims(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        let store = try await fixture.open()
        let other = try await fixture.open()  // a second connection pool, as a second process would have
        for index in 0..<40 { _ = try await store.createJob(newJob(name: "\(index)"), now: at(0)) }
        let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for worker in 0..<8 {
                let target = worker.isMultiple(of: 2) ? store : other
                group.addTask {
                    var mine: [JobID] = []
                    while let job = try await target.claimNext(holder: "w\(worker)", leaseSeconds: 30, models: nil, now: at(1)) {
                        mine.append(job.job.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [JobID]()) { $0.append(contentsOf: $1) }
        }
        #expect(claimed.count == 40)
        #expect(Set(claimed).count == 40)
    }

    @Test("listing is newest first with cursor pagination and state filters", arguments: StoreKind.allCases)
    func listing(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        var ids: [JobID] = []
        for index in 0..<5 { ids.append(try await store.createJob(newJob(), now: at(Double(index))).id) }
        _ = try await store.cancel(ids[1], now: at(10))

        let first = try await store.jobs(JobQuery(limit: 2))
        #expect(first.jobs.map(\.id) == [ids[4], ids[3]])
        #expect(first.nextCursor != nil)
        let second = try await store.jobs(JobQuery(limit: 2, cursor: first.nextCursor))
        #expect(second.jobs.map(\.id) == [ids[2], ids[1]])
        #expect(second.nextCursor != nil)
        let third = try await store.jobs(JobQuery(limit: 2, cursor: second.nextCursor))
        #expect(third.jobs.map(\.id) == [ids[0]])
        #expect(third.nextCursor == nil)

        #expect(try await store.jobs(JobQuery(states: [.cancelled])).jobs.map(\.id) == [ids[1]])
        await #expect(throws: StoreError.invalidCursor("nope")) { _ = try await store.jobs(JobQuery(cursor: "nope")) }
    }

    @Test("delete removes the job and its transcript and reports media references", arguments: StoreKind.allCases)
    func delete(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let shared1 = try await store.createJob(newJob(sha: "same"), now: at(0))
        let shared2 = try await store.createJob(newJob(sha: "same"), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(1)))
        _ = try await store.complete(claimed.lease, transcript: sampleTranscript(for: claimed.job.id), now: at(2))

        let first = try await store.delete(shared1.id)
        #expect(first.mediaStillReferenced)
        await #expect(throws: StoreError.jobNotFound(shared1.id)) { _ = try await store.job(shared1.id) }
        let second = try await store.delete(shared2.id)
        #expect(!second.mediaStillReferenced)
        #expect(try await store.isMediaReferenced("same") == false)
        #expect(try await store.stateCounts().values.reduce(0, +) == 0)
    }

    @Test("partial segments: appended and resent by position, scoped to the current attempt, replaced by the transcript", arguments: StoreKind.allCases)
    func partialSegments(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(), now: at(0))
        let first = try #require(try await store.claimNext(holder: "a", leaseSeconds: 30, models: nil, now: at(0)))
        #expect(try await store.partialSegments(of: job.id).isEmpty)

        let one = Segment(start: 0, end: 1, text: "one")
        let two = Segment(start: 1, end: 2, text: "two", words: [Word(start: 1, end: 2, text: "two", probability: 0.9)])
        var lease = try await store.heartbeat(first.lease, progress: 0.1, partial: PartialSegments(firstIndex: 0, segments: [one]), leaseSeconds: 30, now: at(1))
        // A resend of an unacknowledged report overlaps what is stored; positions make it idempotent.
        lease = try await store.heartbeat(lease, progress: 0.2, partial: PartialSegments(firstIndex: 0, segments: [one, two]), leaseSeconds: 30, now: at(2))
        #expect(try await store.partialSegments(of: job.id) == [one, two])

        // A stale lease cannot add text.
        _ = try await store.release(lease, now: at(3))
        #expect(await leaseLoss {
            _ = try await store.heartbeat(lease, progress: 0.3, partial: PartialSegments(firstIndex: 2, segments: [one]), leaseSeconds: 30, now: at(4))
        } == .stale)

        // The next attempt starts from nothing, even before it sends anything.
        let second = try #require(try await store.claimNext(holder: "b", leaseSeconds: 30, models: nil, now: at(5)))
        #expect(try await store.partialSegments(of: job.id).isEmpty)
        let other = Segment(start: 0, end: 1.5, text: "other")
        _ = try await store.heartbeat(second.lease, progress: 0.5, partial: PartialSegments(firstIndex: 0, segments: [other]), leaseSeconds: 30, now: at(6))
        #expect(try await store.partialSegments(of: job.id) == [other])

        _ = try await store.complete(second.lease, transcript: sampleTranscript(for: job.id), now: at(7))
        #expect(try await store.partialSegments(of: job.id).isEmpty)
        await #expect(throws: StoreError.self) { _ = try await store.partialSegments(of: JobID.generate()) }
    }
}
