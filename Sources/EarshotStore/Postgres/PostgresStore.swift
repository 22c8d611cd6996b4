import EarshotCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The store for several servers: one PostgreSQL database shared by every replica.
///
/// Semantics are the SQLite store's, checked by the same conformance suite. What differs is how
/// concurrent writers are kept apart: SQLite has one writer at a time, PostgreSQL many, so rows a
/// transaction decides on are locked (`FOR UPDATE`; claims skip jobs another replica is taking
/// with `SKIP LOCKED`), and check-then-insert races end in a unique index.
///
/// Every replica `LISTEN`s on one channel; each transaction that appended events notifies it on
/// commit, which wakes event readers and waiting node claims on every replica. The notification
/// is only a wake-up: readers read the event log, so a missed one delays nothing beyond the next.
public final class PostgresStore: Store {
    static let eventOrderLock = "earshot:event-order"
    static let eventChannel = "earshot_events"

    let client: PostgresClient
    let retryPolicy: RetryPolicy
    let logger: Logger
    /// Where the store is, password masked.
    public let location: String
    public let eventSignal = ChangeSignal()
    private let tasks: [Task<Void, Never>]

    /// Connects, runs pending migrations and starts listening for other replicas' events.
    public init(url: PostgresDatabaseURL, retryPolicy: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "earshot.postgres")) async throws {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: Self.tls(url.tls)
        )
        configuration.options.maximumConnections = url.maximumConnections
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.location = url.description
        let running = Task { await client.run() }
        do {
            try await client.withConnection { connection in
                try await PostgresSchema.migrate(PostgresSession(connection: connection, logger: logger))
            }
        } catch {
            running.cancel()
            throw error
        }
        tasks = [running, Self.listen(client: client, signal: eventSignal, logger: logger)]
    }

    deinit {
        // The listener first: closing the pool under it would read as a lost connection.
        for task in tasks.reversed() { task.cancel() }
    }

    private static func tls(_ mode: PostgresDatabaseURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// Holds one connection listening for event notifications, re-established with backoff when
    /// it drops. Every (re)start notifies too: events appended while nobody listened are in the log.
    private static func listen(client: PostgresClient, signal: ChangeSignal, logger: Logger) -> Task<Void, Never> {
        Task {
            var backoff = ReconnectBackoff()
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: eventChannel) { notifications in
                            signal.notify()
                            for try await _ in notifications { signal.notify() }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("lost the event notification connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
                let ran = started.duration(to: .now)
                let delay = backoff.runEnded(audioSeconds: Double(ran.components.seconds))
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Runs `body` on a pooled connection outside any transaction.
    func read<Value: Sendable>(_ body: (PostgresSession) async throws -> Value) async throws -> Value {
        let logger = logger
        return try await client.withConnection { connection in
            try await body(PostgresSession(connection: connection, logger: logger))
        }
    }

    /// Runs `body` in a transaction, inserting the events it appended just before commit. A
    /// transaction PostgreSQL aborted to break a deadlock or a serialization conflict is run again.
    func write<Value: Sendable>(_ body: (PostgresSession) async throws -> Value) async throws -> Value {
        let logger = logger
        var conflicts = 0
        while true {
            do {
                let (value, appended) = try await client.withConnection { connection in
                    let session = PostgresSession(connection: connection, logger: logger)
                    try await session.execute("BEGIN")
                    do {
                        let value = try await body(session)
                        try await session.flushEvents()
                        try await session.execute("COMMIT")
                        return (value, session.insertedEvents)
                    } catch {
                        try? await session.execute("ROLLBACK")
                        throw error
                    }
                }
                if appended { eventSignal.notify() }
                return value
            } catch let error as PSQLError
                where [PostgresErrorCode.deadlockDetected, PostgresErrorCode.serializationFailure].contains(error.sqlState) && conflicts < 5 {
                conflicts += 1
                logger.debug("transaction conflict; running it again", metadata: ["sqlstate": "\(error.sqlState ?? "")"])
            }
        }
    }

    public func checkWritable() async throws {
        try await write { session in
            try await session.execute("CREATE TEMP TABLE IF NOT EXISTS readiness_probe (x INTEGER) ON COMMIT DELETE ROWS")
            try await session.execute("INSERT INTO readiness_probe VALUES (1)")
        }
    }
}
