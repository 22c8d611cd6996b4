import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Segment revision conformance")
struct RevisionConformanceTests {
    @Test("a revision becomes the shown text, search and exports follow it, the original is kept, automation never beats a person", arguments: StoreKind.allCases)
    func rankedRevisions(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let id = try await SearchConformanceTests.stored(store, title: "talk.wav", [" The whether is fine.", " Goodbye."], at: 0)
        let before = try await store.latestEventSeq()

        let human = try await store.reviseSegment(id, index: 0, text: "The weather is fine.", source: .human, author: "ann", now: at(5))
        #expect(human.text == "The weather is fine." && human.originalText == " The whether is fine.")
        #expect(human.revisions.map(\.number) == [1] && human.revisions.first?.author == "ann")

        // A later reprocess ranks below the person's edit: recorded, not shown.
        let reprocessed = try await store.reviseSegment(id, index: 0, text: "The whether is fine!", source: .whisperReprocess, author: nil, now: at(6))
        #expect(reprocessed.text == "The weather is fine." && reprocessed.revisions.map(\.source) == [.human, .whisperReprocess])

        let transcript = try #require(try await store.transcript(of: id))
        #expect(transcript.segments[0].text == "The weather is fine." && transcript.segments[0].originalText == " The whether is fine.")
        #expect(transcript.segments[1].originalText == nil, "an unrevised segment has no original of its own")
        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "weather"), limit: 5, cursor: nil).hits.map(\.segment) == [0])
        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "whether"), limit: 5, cursor: nil).hits.isEmpty)
        #expect(try await store.revisedSegment(id, index: 0) == reprocessed)

        let events = try await store.events(after: before, filter: EventTypeFilter(types: [.transcriptRevised]), correlationId: id.rawValue, limit: 10)
        let data = events.compactMap { event -> TranscriptEventData? in
            if case .transcript(let data) = event.data { return data } else { return nil }
        }
        #expect(data.map(\.revision) == [1, 2] && data.map(\.source) == [.human, .whisperReprocess])
        #expect(data.map(\.text) == ["The weather is fine.", "The weather is fine."], "each event carries the text now shown")
    }

    @Test("a missing job, transcript or segment is named precisely", arguments: StoreKind.allCases)
    func missing(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let id = try await SearchConformanceTests.stored(store, title: "a.wav", ["One."], at: 0)
        await #expect(throws: StoreError.segmentNotFound(id, index: 1)) {
            _ = try await store.reviseSegment(id, index: 1, text: "x", source: .human, author: nil, now: at(1))
        }
        let queued = try await store.createJob(newJob(sha: "other"), now: at(2))
        await #expect(throws: StoreError.transcriptNotFound(queued.id)) { _ = try await store.revisedSegment(queued.id, index: 0) }
        let unknown = JobID.generate()
        await #expect(throws: StoreError.jobNotFound(unknown)) { _ = try await store.revisedSegment(unknown, index: 0) }
        _ = try await store.delete(id)
        await #expect(throws: StoreError.jobNotFound(id)) { _ = try await store.revisedSegment(id, index: 0) }
    }
}
