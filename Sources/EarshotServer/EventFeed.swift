import EarshotCore
import EarshotStore
import Foundation
import Synchronization

/// The newest events, held in memory for every stream subscriber of this server.
///
/// Without it each of N subscribers queries the store after every commit; with it one refresh
/// per commit reads the new events once and the N subscribers filter them in memory. A
/// subscriber further behind than the window reads from the store as before.
final class EventFeed: Sendable {
    /// An event with its JSON, encoded once for every subscriber.
    struct Entry: Sendable {
        var event: Event
        var json: String

        init(_ event: Event, encoder: JSONEncoder) throws {
            self.event = event
            json = String(decoding: try encoder.encode(event), as: UTF8.self)
        }
    }

    private struct State {
        /// Oldest first, contiguous in the sense that nothing after `events.first` is missing.
        var events: [Entry] = []
        /// Every event with seq <= this has been considered; the window covers (floor, head].
        var head: Int64 = 0
        var floor: Int64 = 0
        var generation: UInt64?
        var refreshing: Task<Void, any Error>?
    }

    let store: any Store
    let capacity: Int
    private let state = Mutex(State())

    init(store: any Store, capacity: Int = 10_000) {
        self.store = store
        self.capacity = capacity
    }

    /// The newest seq the window has seen (as of the last refresh).
    var head: Int64 { state.withLock { $0.head } }

    /// Matching events after `after`, at most `limit`, and how far the log was scanned: the same
    /// contract as reading the store page by page (see ``EventRoutes/scanned(upTo:page:limit:head:)``).
    func read(after: Int64, filter: EventTypeFilter, correlationId: String?, limit: Int) async throws -> (events: [Entry], scanned: Int64) {
        try await refresh()
        let cached: (events: [Entry], scanned: Int64)? = state.withLock { state in
            guard state.generation != nil, after >= state.floor else { return nil }
            var found: [Entry] = []
            var scanned = max(after, state.head)
            // The window is ordered by seq: start at the first newer event instead of walking the
            // window from its oldest, which under many subscribers costs O(window) per read.
            var index = Self.firstIndex(after: after, in: state.events)
            while index < state.events.count {
                let event = state.events[index].event
                index += 1
                guard filter.matches(event.type), correlationId == nil || event.correlationId == correlationId else { continue }
                found.append(state.events[index - 1])
                if found.count == limit {
                    scanned = event.seq
                    break
                }
            }
            return (found, scanned)
        }
        if let cached { return cached }
        let head = try await store.latestEventSeq()
        let page = try await store.events(after: after, filter: filter, correlationId: correlationId, limit: limit)
        let encoder = EarshotJSON.encoder()
        return (try page.map { try Entry($0, encoder: encoder) }, EventRoutes.scanned(upTo: after, page: page, limit: limit, head: head))
    }

    /// The index of the first entry with seq greater than `seq` (binary search; entries ascend by seq).
    static func firstIndex(after seq: Int64, in entries: [Entry]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].event.seq <= seq { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Brings the window up to the store's newest event, once per commit however many callers
    /// ask at the same time.
    private func refresh() async throws {
        let current = store.eventSignal.generation
        let task: Task<Void, any Error>? = state.withLock { state in
            if state.generation == current { return nil }
            if let running = state.refreshing { return running }
            let task = Task { try await self.load(generation: current) }
            state.refreshing = task
            return task
        }
        guard let task else { return }
        try await task.value
        // A commit that landed while that refresh ran is picked up by the caller's next read.
    }

    private func load(generation: UInt64) async throws {
        defer { state.withLock { $0.refreshing = nil } }
        let isFirst = state.withLock { $0.generation == nil }
        var head = state.withLock { $0.head }
        if isFirst {
            // Start empty at the current end: older events are read from the store.
            head = try await store.latestEventSeq()
            state.withLock { state in
                state.head = head
                state.floor = head
                state.generation = generation
            }
            return
        }
        var fresh: [Entry] = []
        let encoder = EarshotJSON.encoder()
        while true {
            let page = try await store.events(after: head, filter: .all, correlationId: nil, limit: 1000)
            fresh += try page.map { try Entry($0, encoder: encoder) }
            head = page.last?.seq ?? head
            if page.count < 1000 { break }
        }
        let capacity = self.capacity
        state.withLock { state in
            state.events += fresh
            // Trimmed a quarter at a time: dropping one entry per commit would shift the whole
            // window on every commit once it is full.
            if state.events.count > capacity + capacity / 4 {
                let dropped = state.events.count - capacity
                state.floor = state.events[dropped - 1].event.seq
                state.events.removeFirst(dropped)
            }
            state.head = max(state.head, head)
            state.generation = generation
        }
    }
}
