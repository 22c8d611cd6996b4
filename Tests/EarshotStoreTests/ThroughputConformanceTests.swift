import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Throughput and job filters conformance")
struct ThroughputConformanceTests {
    @Test("audio per hour lands in the hour the job finished; older jobs and other states count nowhere", arguments: StoreKind.allCases)
    func hourlyBuckets(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        // Each stored transcript covers 10 s of audio and finishes 1 s after `at`.
        _ = try await SearchConformanceTests.stored(store, title: "old", ["a"], at: 0)
        _ = try await SearchConformanceTests.stored(store, title: "one", ["a"], at: 3 * 3600 + 10)
        _ = try await SearchConformanceTests.stored(store, title: "two", ["a"], at: 4 * 3600 + 100)
        _ = try await SearchConformanceTests.stored(store, title: "three", ["a"], at: 4 * 3600 + 200)
        _ = try await store.createJob(newJob(sha: "queued"), now: at(4 * 3600 + 300))
        let buckets = try await store.hourlyThroughput(hours: 3, now: at(5 * 3600))
        #expect(buckets == [0, 10, 20])
        #expect(try await store.hourlyThroughput(hours: 0, now: at(5 * 3600)).isEmpty)
    }

    @Test("jobs filter by creation time, bounds half-open", arguments: StoreKind.allCases)
    func createdRange(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let first = try await store.createJob(newJob(sha: "a"), now: at(10))
        let second = try await store.createJob(newJob(sha: "b"), now: at(20))
        let third = try await store.createJob(newJob(sha: "c"), now: at(30))
        #expect(try await store.jobs(JobQuery(createdFrom: at(20))).jobs.map(\.id) == [third.id, second.id])
        #expect(try await store.jobs(JobQuery(createdBefore: at(20))).jobs.map(\.id) == [first.id])
        #expect(try await store.jobs(JobQuery(createdFrom: at(15), createdBefore: at(30))).jobs.map(\.id) == [second.id])
    }
}
