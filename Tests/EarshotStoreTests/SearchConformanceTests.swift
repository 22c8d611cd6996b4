import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Search conformance")
struct SearchConformanceTests {
    static func stored(_ store: any Store, title: String, _ texts: [String], at time: Double) async throws -> JobID {
        let job = try await store.createJob(newJob(sha: title, name: title), now: at(time))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(time)))
        let segments = texts.enumerated().map { Segment(start: Double($0.offset) * 2, end: Double($0.offset) * 2 + 2, text: $0.element) }
        _ = try await store.complete(claimed.lease, transcript: Transcript(
            jobID: job.id, title: title, source: title, language: "en", model: "tiny.en", durationSeconds: 10, processingSeconds: 1,
            createdAt: at(time), segments: segments
        ), now: at(time + 1))
        return job.id
    }

    @Test("every word must match, the last as a prefix; denser matches rank first; snippets mark the words; deletes leave the index", arguments: StoreKind.allCases)
    func rankingAndSnippets(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let birds = try await Self.stored(store, title: "birds.wav", [
            "Good morning.", "A bird sang in the garden while another bird sang back.", "Then the café opened.",
        ], at: 0)
        let walk = try await Self.stored(store, title: "walk.wav", ["We walked past a long row of houses, and a bird sang once."], at: 10)

        let page = try await store.searchTranscripts(try SearchTerms(parsing: "bird sang"), limit: 10, cursor: nil)
        #expect(page.hits.map(\.jobId) == [birds, walk], "two matches in a short segment beat one in a long one")
        let best = try #require(page.hits.first)
        #expect(best.segment == 1 && best.start == 2 && best.end == 4 && best.title == "birds.wav")
        #expect(best.snippet.filter(\.match).map(\.text) == ["bird", "sang", "bird", "sang"])
        #expect(best.snippet.map(\.text).joined() == "A bird sang in the garden while another bird sang back.")
        #expect(page.hits[0].score > page.hits[1].score)

        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "gard"), limit: 10, cursor: nil).hits.map(\.segment) == [1])
        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "cafe"), limit: 10, cursor: nil).hits.map(\.segment) == [2])
        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "bird morning"), limit: 10, cursor: nil).hits.isEmpty)

        // Paging walks the same order without repeats.
        let first = try await store.searchTranscripts(try SearchTerms(parsing: "bird"), limit: 1, cursor: nil)
        let second = try await store.searchTranscripts(try SearchTerms(parsing: "bird"), limit: 1, cursor: first.nextCursor ?? "")
        #expect(first.hits.map(\.jobId) + second.hits.map(\.jobId) == [birds, walk] && second.nextCursor == nil)
        await #expect(throws: StoreError.invalidCursor("zero")) {
            _ = try await store.searchTranscripts(try SearchTerms(parsing: "bird"), limit: 1, cursor: "zero")
        }

        _ = try await store.delete(birds)
        #expect(try await store.searchTranscripts(try SearchTerms(parsing: "bird"), limit: 10, cursor: nil).hits.map(\.jobId) == [walk])
    }
}
