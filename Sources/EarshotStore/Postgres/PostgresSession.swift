import EarshotCore
import Foundation
import Logging
import PostgresNIO

/// A value bound to a `?` placeholder. `nil` binds SQL NULL (PostgreSQL infers its type from
/// the context; write a cast where it cannot).
typealias SQLArgument = (any PostgresDynamicTypeEncodable)?

/// One connection leased for a unit of work, with the SQLite store's calling convention: SQL
/// with `?` placeholders and an array of arguments. Keeping that convention lets the two stores'
/// code be read side by side.
///
/// In a write transaction, events are not inserted where they are appended but collected and
/// inserted at the end (``flushEvents()``), under a lock that serializes only that last step:
/// event numbers then follow commit order, so a reader that saw event n has seen every event
/// below n, while the rest of each transaction (claims included) runs concurrently.
final class PostgresSession: @unchecked Sendable {
    // @unchecked: a session belongs to one task for the duration of one closure.
    let connection: PostgresConnection
    let logger: Logger
    private(set) var pendingEvents: [PendingEvent] = []
    /// Whether this session inserted events (the caller then wakes this process's readers).
    private(set) var insertedEvents = false

    struct PendingEvent {
        var id: String
        var event: NewEvent
        var time: Date
        var data: String
    }

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Rewrites `?` placeholders as `$1, $2, …` and binds `arguments` to them.
    static func query(_ sql: String, _ arguments: [SQLArgument]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            if let argument { bindings.append(argument) } else { bindings.appendNull() }
        }
        var text = ""
        text.reserveCapacity(sql.utf8.count + arguments.count * 2)
        var number = 0
        for character in sql {
            if character == "?" {
                number += 1
                text += "$\(number)"
            } else {
                text.append(character)
            }
        }
        precondition(number == arguments.count, "SQL has \(number) placeholders, \(arguments.count) arguments given")
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    func execute(_ sql: String, _ arguments: [SQLArgument] = []) async throws {
        _ = try await connection.query(Self.query(sql, arguments), logger: logger).collect()
    }

    func rows(_ sql: String, _ arguments: [SQLArgument] = []) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(Self.query(sql, arguments), logger: logger).collect().map(PostgresRandomAccessRow.init)
    }

    func row(_ sql: String, _ arguments: [SQLArgument] = []) async throws -> PostgresRandomAccessRow? {
        try await rows(sql, arguments).first
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    func scalar<Value: PostgresDecodable>(_ type: Value.Type, _ sql: String, _ arguments: [SQLArgument] = []) async throws -> Value? {
        guard let row = try await row(sql, arguments) else { return nil }
        return row[0].bytes == nil ? nil : try row[0].decode(Value.self)
    }

    /// Holds a transaction-scoped advisory lock on `key` until commit or rollback.
    func lock(_ key: String) async throws {
        try await execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [key])
    }

    /// Collects an event to be inserted when the transaction commits; returns it with its id and
    /// time (its `seq` is known only then).
    @discardableResult
    func append(_ event: NewEvent, now: Date) throws -> Event {
        let id = TimeOrderedID.make()
        let data = try event.data.storedJSON()
        let time = Date(timeIntervalSince1970: now.timeIntervalSince1970)
        pendingEvents.append(PendingEvent(id: id, event: event, time: time, data: String(decoding: data, as: UTF8.self)))
        return Event(
            seq: 0, id: id, time: time, type: event.type, correlationId: event.correlationId, causationId: event.causationId,
            source: event.source, data: event.data
        )
    }

    /// A `job.*` event describing `job` as it now is.
    @discardableResult
    func appendJob(
        _ type: EventType, _ job: Job, source: String, attempt: Int? = nil, error: JobError? = nil, reason: String? = nil, now: Date
    ) throws -> Event {
        let data = JobEventData(
            jobId: job.id, state: job.state, attempt: attempt, holder: job.leaseHolder, progress: job.state == .running ? job.progress : nil,
            error: error, reason: reason
        )
        return try append(.job(type, data, source: source), now: now)
    }

    /// Whether the collected events put a job in the queue (its state after the change is `queued`).
    private var queuesWork: Bool {
        pendingEvents.contains { pending in
            if case .job(let data) = pending.event.data { return data.state == .queued }
            return false
        }
    }

    /// Inserts the collected events in order and wakes listeners on every replica at commit.
    /// Returns their sequence numbers.
    @discardableResult
    func flushEvents() async throws -> [Int64] {
        guard !pendingEvents.isEmpty else { return [] }
        try await lock(PostgresStore.eventOrderLock)
        var seqs: [Int64] = []
        for pending in pendingEvents {
            let seq = try await scalar(Int64.self, """
                INSERT INTO events (id, time, type, correlation_id, causation_id, source, data) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq
                """, [pending.id, pending.time.timeIntervalSince1970, pending.event.type.rawValue, pending.event.correlationId,
                      pending.event.causationId, pending.event.source, pending.data])
            seqs.append(seq ?? 0)
        }
        try await execute("SELECT pg_notify(?, ?)", [PostgresStore.eventChannel, queuesWork ? PostgresStore.queuedWorkPayload : ""])
        pendingEvents.removeAll()
        insertedEvents = true
        return seqs
    }
}

extension PostgresRandomAccessRow {
    /// The cell at `index` decoded as `Value` (an optional type for nullable columns).
    func get<Value: PostgresDecodable>(_ index: Int, as type: Value.Type = Value.self) throws -> Value {
        try self[index].decode(Value.self)
    }
}

extension PSQLError {
    /// The SQLSTATE the server reported, if the error came from the server.
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// SQLSTATEs the store reacts to.
enum PostgresErrorCode {
    static let uniqueViolation = "23505"
    static let serializationFailure = "40001"
    static let deadlockDetected = "40P01"
}
