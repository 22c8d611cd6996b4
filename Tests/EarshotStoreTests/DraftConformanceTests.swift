import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Draft conformance")
struct DraftConformanceTests {
    static func result(_ text: String) -> DraftResult {
        DraftResult(durationSeconds: 2.5, language: "en", segments: [Segment(start: 0, end: 2.5, text: " " + text)], hasAudio: true)
    }

    @Test("a draft starts, ends with the recognizer's text, and every step is an event", arguments: StoreKind.allCases)
    func lifecycle(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let before = try await store.latestEventSeq()
        let open = try await store.startDraft(NewDraft(sessionId: "s1", offsetSeconds: 4.2, model: "tiny.en", language: nil), now: at(1))
        #expect(open.state == .open && open.text.isEmpty && open.offsetSeconds == 4.2)
        let ended = try await store.endDraft(open.id, result: Self.result("Hello there."), now: at(3))
        #expect(ended.state == .ended && ended.text == "Hello there." && ended.originalText == "Hello there.")
        #expect(ended.language == "en" && ended.hasAudio && ended.durationSeconds == 2.5 && ended.segments.count == 1)
        #expect(try await store.draft(open.id) == ended)
        let events = try await store.events(after: before, filter: EventTypeFilter(parsing: "draft.*"), correlationId: "s1", limit: 10)
        #expect(events.map(\.type) == [.draftStarted, .draftEnded])
        await #expect(throws: StoreError.draftNotFound("nope")) { _ = try await store.draft("nope") }
        #expect(ended.speaker == nil)
    }

    @Test("a stream's draft keeps who spoke it, and its end event says so", arguments: StoreKind.allCases)
    func speaker(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let open = try await store.startDraft(NewDraft(sessionId: "stream-1", offsetSeconds: 0, model: "tiny.en", language: "en"), now: at(1))
        var result = Self.result("Good morning.")
        result.speaker = "Marianne"
        result.segments[0].speaker = "Marianne"
        let ended = try await store.endDraft(open.id, result: result, now: at(2))
        #expect(ended.speaker == "Marianne" && ended.segments.first?.speaker == "Marianne")
        #expect(try await store.draft(open.id).speaker == "Marianne")
        #expect(try await store.drafts(sessionId: "stream-1", limit: 10, cursor: nil).drafts.first?.speaker == "Marianne")
        let events = try await store.events(after: 0, filter: EventTypeFilter(parsing: "draft.ended"), correlationId: "stream-1", limit: 10)
        guard case .draft(let data) = events.first?.data else {
            Issue.record("no draft.ended event")
            return
        }
        #expect(data.speaker == "Marianne")
    }

    @Test("renaming a speaker on a session's drafts changes those drafts and their segments only, each with an event", arguments: StoreKind.allCases)
    func renameSpeaker(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        func spoken(_ session: String, _ speaker: String, at second: Double) async throws -> Draft {
            let open = try await store.startDraft(NewDraft(sessionId: session, offsetSeconds: second, model: "tiny.en", language: "en"), now: at(second))
            var result = Self.result("words")
            result.speaker = speaker
            result.segments[0].speaker = speaker
            return try await store.endDraft(open.id, result: result, now: at(second + 1))
        }
        let first = try await spoken("stream-1", "Speaker 1", at: 1)
        let other = try await spoken("stream-1", "Speaker 2", at: 3)
        let second = try await spoken("stream-1", "Speaker 1", at: 5)
        let elsewhere = try await spoken("stream-2", "Speaker 1", at: 7)
        let before = try await store.latestEventSeq()

        let renamed = try await store.renameDraftSpeaker(sessionId: "stream-1", from: "Speaker 1", to: "Marianne", now: at(9))
        #expect(renamed.map(\.id) == [first.id, second.id])
        #expect(renamed == [try await store.draft(first.id), try await store.draft(second.id)], "what it returns is what is stored")
        for id in [first.id, second.id] {
            let draft = try await store.draft(id)
            #expect(draft.speaker == "Marianne" && draft.segments.map(\.speaker) == ["Marianne"] && draft.text == "words")
        }
        #expect(try await store.draft(other.id).speaker == "Speaker 2")
        #expect(try await store.draft(elsewhere.id).speaker == "Speaker 1", "another session's Speaker 1 is another voice")
        let events = try await store.events(after: before, filter: EventTypeFilter(parsing: "draft.*"), correlationId: nil, limit: 10)
        #expect(events.map(\.type) == [.draftSpeakerChanged, .draftSpeakerChanged])
        let data = events.compactMap { event -> DraftEventData? in
            guard case .draft(let data) = event.data else { return nil }
            return data
        }
        #expect(data.map(\.draftId) == [first.id, second.id] && data.allSatisfy { $0.speaker == "Marianne" && $0.sessionId == "stream-1" })
        #expect(try await store.renameDraftSpeaker(sessionId: "stream-1", from: "Speaker 1", to: "Marianne", now: at(10)).isEmpty)
    }

    @Test("revisions rank HUMAN > LLM > WHISPER_REPROCESS > UNKNOWN; a human edit made before the reprocess stays on top", arguments: StoreKind.allCases)
    func rankedRevisions(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let draft = try await store.startDraft(NewDraft(sessionId: "s1", offsetSeconds: 0, model: "tiny.en", language: "en"), now: at(0))
        _ = try await store.endDraft(draft.id, result: Self.result("the whether is fine"), now: at(1))
        let human = try await store.reviseDraft(draft.id, text: "The weather is fine.", source: .human, author: "ann", now: at(2))
        #expect(human.text == "The weather is fine.")
        let reprocessed = try await store.reviseDraft(draft.id, text: "The weather is fine", source: .whisperReprocess, author: "base", now: at(3))
        #expect(reprocessed.text == "The weather is fine.", "automation never overwrites a person")
        #expect(reprocessed.originalText == "the whether is fine" && reprocessed.revisions.map(\.source) == [.human, .whisperReprocess])

        // Without a person, the better model's text beats the recognizer's, and an LLM's beats that.
        let other = try await store.startDraft(NewDraft(sessionId: "s1", offsetSeconds: 3, model: "tiny.en", language: "en"), now: at(4))
        _ = try await store.endDraft(other.id, result: Self.result("quick"), now: at(5))
        #expect(try await store.reviseDraft(other.id, text: "better", source: .whisperReprocess, author: nil, now: at(6)).text == "better")
        #expect(try await store.reviseDraft(other.id, text: "unknown", source: .unknown, author: nil, now: at(7)).text == "better")
        #expect(try await store.reviseDraft(other.id, text: "llm", source: .llm, author: nil, now: at(8)).text == "llm")

        // A revision made while speech is still arriving keeps its place when the draft ends.
        let early = try await store.startDraft(NewDraft(sessionId: "s2", offsetSeconds: 0, model: "tiny.en", language: "en"), now: at(9))
        _ = try await store.reviseDraft(early.id, text: "typed by a person", source: .human, author: nil, now: at(10))
        let endedLater = try await store.endDraft(early.id, result: Self.result("recognized"), now: at(11))
        #expect(endedLater.text == "typed by a person" && endedLater.originalText == "recognized")

        let revised = try await store.events(after: 0, filter: EventTypeFilter(types: [.draftRevised]), correlationId: nil, limit: 20)
        #expect(revised.count == 6, "every revision is an event")

        let page = try await store.drafts(sessionId: "s1", limit: 1, cursor: nil)
        #expect(page.drafts.map(\.id) == [other.id])
        let rest = try await store.drafts(sessionId: "s1", limit: 5, cursor: page.nextCursor)
        #expect(rest.drafts.map(\.id) == [draft.id] && rest.nextCursor == nil)
        #expect(try await store.drafts(sessionId: nil, limit: 10, cursor: nil).drafts.count == 3)
    }

    @Test("a draft keeps the user whose session spoke it, and lists narrow to one owner", arguments: StoreKind.allCases)
    func owners(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let mine = try await store.startDraft(NewDraft(sessionId: "s1", offsetSeconds: 0, model: "tiny.en", language: nil, ownerId: "user-1"), now: at(0))
        let theirs = try await store.startDraft(NewDraft(sessionId: "s1", offsetSeconds: 1, model: "tiny.en", language: nil, ownerId: "user-2"), now: at(1))
        let stream = try await store.startDraft(NewDraft(sessionId: "stream-x", offsetSeconds: 0, model: "tiny.en", language: nil), now: at(2))
        #expect(mine.ownerId == "user-1" && stream.ownerId == nil)
        #expect(try await store.endDraft(mine.id, result: Self.result("hi"), now: at(3)).ownerId == "user-1", "ending keeps the owner")
        #expect(try await store.drafts(sessionId: nil, ownedBy: "user-1", limit: 10, cursor: nil).drafts.map(\.id) == [mine.id])
        #expect(try await store.drafts(sessionId: "s1", ownedBy: "user-2", limit: 10, cursor: nil).drafts.map(\.id) == [theirs.id])
        #expect(try await store.drafts(sessionId: "stream-x", ownedBy: "user-1", limit: 10, cursor: nil).drafts.isEmpty)
        #expect(try await store.drafts(sessionId: nil, limit: 10, cursor: nil).drafts.count == 3)
    }
}
