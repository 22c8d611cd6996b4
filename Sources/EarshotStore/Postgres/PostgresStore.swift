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
    /// The notification's payload when the commit queued a job (``queuedWorkSignal``).
    static let queuedWorkPayload = "queued"

    let client: PostgresClient
    let retryPolicy: RetryPolicy
    let logger: Logger
    /// Where the store is, password masked.
    public let location: String
    public let eventSignal = ChangeSignal()
    public let queuedWorkSignal = ChangeSignal()
    private let tasks: [Task<Void, Never>]

    /// Connects, runs pending migrations and starts listening for other replicas' events. A
    /// database that refuses connections is waited for up to `startupTimeout` (it may be starting
    /// alongside the server); a wrong password or database name fails at once.
    public init(
        url: PostgresDatabaseURL, retryPolicy: RetryPolicy = RetryPolicy(), startupTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "earshot.postgres")
    ) async throws {
        try await Self.waitUntilReachable(url, timeout: startupTimeout, logger: logger)
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: Self.tls(url)
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
        tasks = [running, Self.listen(client: client, signals: (eventSignal, queuedWorkSignal), logger: logger)]
    }

    /// Connects once before the pool takes over: the pool retries a failing connection forever,
    /// which at start-up would hang `serve` without a word.
    private static func waitUntilReachable(_ url: PostgresDatabaseURL, timeout: Duration, logger: Logger) async throws {
        let deadline = ContinuousClock.now + timeout
        var backoff = ReconnectBackoff()
        while true {
            do {
                let connection = try await PostgresAdmin.connect(url, logger: logger)
                try? await connection.close()
                return
            } catch {
                // 28xxx: authentication; 3D000: no such database. Waiting will not fix either.
                let permanent = (error as? PSQLError)?.sqlState.map { $0.hasPrefix("28") || $0 == "3D000" } ?? false
                let delay = Duration.seconds(backoff.runEnded(audioSeconds: 0))
                if permanent || ContinuousClock.now + delay > deadline { throw PostgresUnreachable(url: url, underlying: error) }
                logger.warning("database not reachable yet; retrying", metadata: ["database": "\(url)", "error": "\(String(reflecting: error))"])
                try await Task.sleep(for: delay)
            }
        }
    }

    deinit {
        // The listener first: closing the pool under it would read as a lost connection.
        for task in tasks.reversed() { task.cancel() }
    }

    /// libpq's meaning of each `sslmode`: `prefer` and `require` encrypt without checking who
    /// answers; only the `verify-*` modes check the certificate. Nil for `disable`.
    static func tlsConfiguration(_ url: PostgresDatabaseURL) -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let roots = url.rootCertificatePath { configuration.trustRoots = .file(roots) }
        switch url.tls {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        return configuration
    }

    private static func tls(_ url: PostgresDatabaseURL) -> PostgresClient.Configuration.TLS {
        guard let configuration = tlsConfiguration(url) else { return .disable }
        return url.tls == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// Holds one connection listening for event notifications, re-established with backoff when
    /// it drops. Every (re)start notifies too: events appended while nobody listened are in the log.
    private static func listen(
        client: PostgresClient, signals: (events: ChangeSignal, queuedWork: ChangeSignal), logger: Logger
    ) -> Task<Void, Never> {
        Task {
            var backoff = ReconnectBackoff()
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: eventChannel) { notifications in
                            // Listening (again): whatever was sent while not listening is unknown.
                            signals.events.notify()
                            signals.queuedWork.notify()
                            for try await notification in notifications {
                                if notification.payload == queuedWorkPayload { signals.queuedWork.notify() }
                                signals.events.notify()
                            }
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

    /// Whether this store's connections to the server are encrypted (TLS).
    public func isConnectionEncrypted() async throws -> Bool {
        try await read { session in
            try await session.scalar(Bool.self, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") ?? false
        }
    }

    public func checkWritable() async throws {
        try await write { session in
            try await session.execute("CREATE TEMP TABLE IF NOT EXISTS readiness_probe (x INTEGER) ON COMMIT DELETE ROWS")
            try await session.execute("INSERT INTO readiness_probe VALUES (1)")
        }
    }
}

/// The database could not be reached (or refused this user) when the store opened.
public struct PostgresUnreachable: Error, CustomStringConvertible {
    public let url: PostgresDatabaseURL
    public let underlying: any Error

    public var description: String {
        let reason = (underlying as? PSQLError).flatMap { $0.serverInfo?[.message] } ?? String(reflecting: underlying)
        return "cannot connect to \(url): \(reason)"
    }
}
