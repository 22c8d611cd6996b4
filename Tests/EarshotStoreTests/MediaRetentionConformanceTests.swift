import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Media retention conformance")
struct MediaRetentionConformanceTests {
    /// Runs a job to success (or to `cancelled`) at `finish`.
    static func finished(_ store: any Store, sha: String, at finish: Double, cancel: Bool = false) async throws -> Job {
        let job = try await store.createJob(newJob(sha: sha), now: at(finish - 1))
        if cancel { return try await store.cancel(job.id, now: at(finish)) }
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(finish - 0.5)))
        return try await store.complete(claimed.lease, transcript: sampleTranscript(for: job.id), now: at(finish))
    }

    @Test("media is due only once every job using it finished before the cutoff; marking is atomic with that check", arguments: StoreKind.allCases)
    func dueAndMarked(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let old = try await Self.finished(store, sha: "old", at: 10)
        let cancelled = try await Self.finished(store, sha: "gone", at: 12, cancel: true)
        let recent = try await Self.finished(store, sha: "recent", at: 100)
        // "shared": one job finished long ago, another of the same content still queued.
        let sharedOld = try await Self.finished(store, sha: "shared", at: 11)
        let sharedQueued = try await store.createJob(newJob(sha: "shared"), now: at(50))

        let cutoff = at(60)
        #expect(try await store.mediaDueForRemoval(finishedBefore: cutoff, limit: 10) == ["old", "gone"])
        #expect(try await store.mediaDueForRemoval(finishedBefore: cutoff, limit: 1) == ["old"])
        #expect(try await store.markMediaRemoved("shared", finishedBefore: cutoff, source: "plugin:cleanup", now: at(61)) == false)
        #expect(try await store.markMediaRemoved("recent", finishedBefore: cutoff, source: "plugin:cleanup", now: at(61)) == false)
        #expect(try await store.job(sharedOld.id).media.removedAt == nil)

        let before = try await store.latestEventSeq()
        #expect(try await store.markMediaRemoved("old", finishedBefore: cutoff, source: "plugin:cleanup", now: at(61)))
        #expect(try await store.markMediaRemoved("old", finishedBefore: cutoff, source: "plugin:cleanup", now: at(62)) == false, "already removed")
        #expect(try await store.job(old.id).media.removedAt == at(61))
        let events = try await store.events(after: before, filter: .all, correlationId: nil, limit: 10)
        #expect(events.map(\.type) == [.jobMediaRemoved])
        #expect(events.first?.correlationId == old.id.rawValue && events.first?.source == "plugin:cleanup")
        #expect(try await store.mediaDueForRemoval(finishedBefore: cutoff, limit: 10) == ["gone"])
        #expect(try await store.isMediaReferenced("old") == false, "a removed file has no users left")
        #expect(try await store.isMediaReferenced("recent"))

        // A job whose media is gone cannot be retried; uploading the same content again revives it.
        #expect(try await store.markMediaRemoved("gone", finishedBefore: cutoff, source: "plugin:cleanup", now: at(61)))
        await #expect(throws: StoreError.mediaRemoved(cancelled.id)) { _ = try await store.retry(cancelled.id, now: at(63)) }
        #expect(try await store.job(cancelled.id).state == .cancelled)
        _ = try await store.createJob(newJob(sha: "gone"), now: at(64))
        #expect(try await store.job(cancelled.id).media.removedAt == nil)
        #expect(try await store.retry(cancelled.id, now: at(65)).state == .queued)

        _ = (recent, sharedQueued)
    }
}
