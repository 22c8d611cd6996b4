import EarshotCore
import Foundation
import GRDB

/// The embedded default store: one SQLite file in WAL mode.
///
/// GRDB's `DatabasePool` serializes writes, so every queue operation below is a single write
/// transaction and therefore atomic against concurrent workers in this process; other processes
/// on the same file are serialized by SQLite's own write lock.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    let retryPolicy: RetryPolicy
    /// The file the store lives in.
    public let path: String
    public let eventSignal = ChangeSignal()

    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    public init(path: String, retryPolicy: RetryPolicy = RetryPolicy()) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // WAL already gives durability against process crashes; FULL also survives power loss,
        // which is what "accepted jobs are never lost" asks for. Set on the writer once the pool
        // exists: GRDB sets `synchronous = NORMAL` when it turns WAL on, after `prepareDatabase`
        // has run, so the pragma there was silently undone (until 2026-12-07).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.pool = pool
        self.retryPolicy = retryPolicy
        self.path = path
        try SQLiteSchema.migrator.migrate(pool)
        pool.add(transactionObserver: EventCommitObserver(signal: eventSignal), extent: .databaseLifetime)
    }

    /// Runs a short read transaction on the calling thread.
    ///
    /// The queue's hot operations (a claim, a key lookup, one job row) take 20–60 µs in SQLite,
    /// while GRDB's async access hops to a dispatch queue and back: about 100 µs more per call on a
    /// 2-core VM, most of it spent waking threads (measured with `earshot-bench micro`). Running
    /// them in place holds the calling thread no longer than the transaction itself (for a write,
    /// plus the one ahead of it on the single writer), and what it waits for never needs another
    /// task to run, so the cooperative pool always progresses. Operations whose cost grows with
    /// the data (lists, search, transcripts, pruning) keep the async hop.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Runs a short write transaction on the calling thread; see `readNow`.
    func writeNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// The writer's `PRAGMA synchronous` level (2 = FULL: a commit returns once it is on disk).
    public func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// A SQLite file serves one server: this process always leads.
    public func whileLeading(_ role: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await body()
    }

    public func checkWritable() async throws {
        try await pool.write { db in
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS readiness_probe (x INTEGER)")
            try db.execute(sql: "INSERT INTO readiness_probe VALUES (1)")
            try db.execute(sql: "DELETE FROM readiness_probe")
        }
    }
}
