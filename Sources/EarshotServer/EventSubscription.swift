import EarshotCore
import EarshotStore

/// One stream subscriber's walk through the event log, shared by SSE and the WebSocket: pages of
/// events from its position, a wait when it has caught up, and the decision to cut it off.
///
/// A subscriber reads at its own pace (the hub never queues events for it), so a slow one costs
/// no memory beyond its socket and holds up nobody. It is cut off with `resync` only when it is
/// more than `maxLag` events behind the head *and* further behind than at its previous page: a
/// client catching up from the log (after a resync, or with an old `after`) keeps its connection
/// as long as it gains ground, so it is never sent round in circles.
struct EventSubscription {
    enum Step {
        /// The next events to send (empty when a commit brought none that match).
        case events([EventFeed.Entry])
        /// Nothing happened for ``EventRoutes/keepAliveInterval``.
        case idle
        /// Too far behind and losing ground: tell the client to reconnect from `resumeFrom`.
        case lagging(resumeFrom: Int64)
    }

    let store: any Store
    let feed: EventFeed
    let query: EventRoutes.Query
    let maxLag: Int64
    /// Every event with seq <= this has been sent or skipped by the filter.
    private(set) var position: Int64
    private var previousLag: Int64?
    private var caughtUp = false
    private var observed: UInt64 = 0

    init(store: any Store, feed: EventFeed, query: EventRoutes.Query, maxLag: Int, from start: Int64) {
        self.store = store
        self.feed = feed
        self.query = query
        self.maxLag = Int64(maxLag)
        position = start
    }

    /// Call after sending the previous step's events: the lag is judged once they are written,
    /// which is where a client that stopped reading holds the subscriber up.
    mutating func next() async throws -> Step {
        let lag = feed.head - position
        if let previousLag, lag > maxLag, lag > previousLag { return .lagging(resumeFrom: position) }
        previousLag = lag
        if caughtUp {
            await store.eventSignal.wait(timeout: EventRoutes.keepAliveInterval, unlessNotifiedSince: observed)
            caughtUp = false
            if store.eventSignal.generation == observed { return .idle }
        }
        observed = store.eventSignal.generation
        let (events, scanned) = try await feed.read(after: position, filter: query.filter, correlationId: query.correlationId, limit: EventRoutes.pageSize)
        position = scanned
        caughtUp = events.count < EventRoutes.pageSize
        return .events(events)
    }
}
