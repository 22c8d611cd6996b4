import EarshotCore
@testable import EarshotServer
import EarshotStore
import Foundation
import Testing

@Suite("Event feed window")
struct EventFeedTests {
    @Test("reads new events from memory with the store's paging contract; older ones from the store")
    func windowAndFallback() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        func publish(_ draft: String) async throws -> Event {
            try await store.appendEvent(
                NewEvent(type: .draftStarted, correlationId: draft, source: "test", data: .draft(DraftEventData(draftId: draft))), now: Date()
            )
        }
        let before = try await publish("old")
        let feed = EventFeed(store: store, capacity: 3)
        let empty = try await feed.read(after: before.seq, filter: .all, correlationId: nil, limit: 10)
        #expect(empty.events.isEmpty && empty.scanned == before.seq)

        var published: [Event] = []
        for name in ["a", "b", "c", "d"] { published.append(try await publish(name)) }
        let all = try await feed.read(after: before.seq, filter: .all, correlationId: nil, limit: 10)
        // Capacity 3: the first new event fell out of the window, so this came from the store.
        #expect(all.events.map(\.event) == published && all.scanned == published.last?.seq)
        let windowed = try await feed.read(after: published[0].seq, filter: .all, correlationId: nil, limit: 2)
        #expect(windowed.events.map(\.event) == Array(published[1...2]) && windowed.scanned == published[2].seq)
        let filtered = try await feed.read(after: published[0].seq, filter: .all, correlationId: "d", limit: 10)
        #expect(filtered.events.map(\.event) == [published[3]] && filtered.scanned == published[3].seq)
        let none = try await feed.read(after: published[0].seq, filter: try EventTypeFilter(parsing: "job.*"), correlationId: nil, limit: 10)
        #expect(none.events.isEmpty && none.scanned == published[3].seq, "scanned past what did not match")
        // A full page from the store has read only as far as its last event.
        let firstPage = try await feed.read(after: 0, filter: .all, correlationId: nil, limit: 2)
        #expect(firstPage.events.map(\.event.seq) == [before.seq, published[0].seq] && firstPage.scanned == published[0].seq)
        let fromStore = try await feed.read(after: 0, filter: .all, correlationId: nil, limit: 10)
        #expect(fromStore.events.map(\.event) == [before] + published)
        #expect(feed.head == published[3].seq)
        let encoded = try all.events.map { String(decoding: try EarshotJSON.encoder().encode($0.event), as: UTF8.self) }
        #expect(all.events.map(\.json) == encoded, "each entry carries its event's JSON")
    }
}
