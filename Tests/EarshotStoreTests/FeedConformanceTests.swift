import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Feed conformance")
struct FeedConformanceTests {
    static func episode(_ guid: String, feed: String, day: Double) -> FeedEpisode {
        FeedEpisode(
            feedId: feed, guid: guid, title: "Episode \(guid)", publishedAt: at(day * 86_400), durationSeconds: 60, enclosureURL: "https://x/\(guid).mp3",
            enclosureType: "audio/mpeg", notes: nil, transcriptURL: nil, transcriptType: nil, createdAt: at(0)
        )
    }

    @Test("feeds are unique by URL, updated, listed and removed with their episodes; episodes are recorded once by guid, newest first", arguments: StoreKind.allCases)
    func feedsAndEpisodes(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let feed = try await store.createFeed(Feed(
            id: "f1", url: "https://example.org/feed.xml", title: "", autoQueue: true, model: nil, backlog: 2, pollIntervalSeconds: 3600,
            nextPollAt: at(0), createdAt: at(0)
        ))
        await #expect(throws: StoreError.duplicateFeed(feed.url)) { _ = try await store.createFeed(feed) }
        var updated = feed
        updated.title = "Show"
        updated.etag = "\"v1\""
        updated.failures = 2
        try await store.updateFeed(updated)
        #expect(try await store.feed("f1") == updated)
        #expect(try await store.feeds() == [updated])

        let first = try await store.addEpisodes([Self.episode("a", feed: "f1", day: 1), Self.episode("b", feed: "f1", day: 2)])
        #expect(first.map(\.guid) == ["a", "b"])
        let second = try await store.addEpisodes([Self.episode("b", feed: "f1", day: 2), Self.episode("c", feed: "f1", day: 3)])
        #expect(second.map(\.guid) == ["c"], "a guid already recorded is not new")
        try await store.setEpisodeOutcome(feedId: "f1", guid: "c", state: .queued, jobId: JobID(rawValue: "j1"), error: nil)
        let episodes = try await store.episodes(ofFeed: "f1")
        #expect(episodes.map(\.guid) == ["c", "b", "a"] && episodes.first?.state == .queued && episodes.first?.jobId == "j1")

        try await store.deleteFeed("f1")
        await #expect(throws: StoreError.feedNotFound("f1")) { _ = try await store.feed("f1") }
        #expect(try await store.episodes(ofFeed: "f1").isEmpty)
    }

    @Test("an imported transcript is a succeeded job with its transcript and events", arguments: StoreKind.allCases)
    func importedTranscript(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = newJob(name: "episode.mp3")
        let transcript = Transcript(
            jobID: job.id, title: "Episode", source: "https://x/e.mp3", language: "", model: "publisher", durationSeconds: 3, processingSeconds: 0,
            createdAt: at(0), segments: [Segment(start: 0, end: 3, text: "Show notes, read aloud.")]
        )
        let imported = try await store.importTranscript(job, transcript: transcript, now: at(5))
        #expect(imported.state == .succeeded && imported.progress == 1)
        #expect(try await store.transcript(of: job.id)?.segments.map(\.text) == ["Show notes, read aloud."])
        let types = try await store.events(after: 0, filter: .all, correlationId: job.id.rawValue, limit: 10).map(\.type)
        #expect(types == [.jobCreated, .jobSucceeded, .transcriptCreated])
        #expect(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(6)) == nil, "nothing left to transcribe")
    }
}
