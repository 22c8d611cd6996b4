import EarshotCore
import Foundation
import GRDB

/// The event log's rows. Every append happens inside the write transaction of the change it
/// describes, so the log and the state can never disagree, even if the process dies mid-way.
enum SQLiteEvents {
    /// Stamps and appends `event`; returns it as stored.
    @discardableResult
    static func append(_ db: Database, _ event: NewEvent, now: Date) throws -> Event {
        let id = TimeOrderedID.make()
        let data = try event.data.storedJSON()
        try db.executeCached(sql: """
            INSERT INTO events (id, time, type, correlation_id, causation_id, source, data) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, now.timeIntervalSince1970, event.type.rawValue, event.correlationId, event.causationId, event.source,
                             String(decoding: data, as: UTF8.self)])
        return Event(
            seq: db.lastInsertedRowID, id: id, time: JobRow.date(now.timeIntervalSince1970), type: event.type, correlationId: event.correlationId,
            causationId: event.causationId, source: event.source, data: event.data
        )
    }

    /// A `job.*` event describing `job` as it now is.
    @discardableResult
    static func appendJob(
        _ db: Database, _ type: EventType, _ job: Job, source: String, attempt: Int? = nil, error: JobError? = nil,
        reason: String? = nil, now: Date
    ) throws -> Event {
        let data = JobEventData(
            jobId: job.id, state: job.state, attempt: attempt, holder: job.leaseHolder, progress: job.state == .running ? job.progress : nil,
            error: error, reason: reason
        )
        return try append(db, .job(type, data, source: source), now: now)
    }

    static func fetchLatest(_ db: Database, type: EventType, correlationId: String) throws -> Event? {
        try db.fetchAllCached(sql: """
            SELECT seq, id, time, type, correlation_id, causation_id, source, data FROM events
            WHERE correlation_id = ? AND type = ? ORDER BY seq DESC LIMIT 1
            """, arguments: [correlationId, type.rawValue]).compactMap(event(from:)).first
    }

    static func fetch(_ db: Database, after seq: Int64, types: [EventType], correlationId: String?, limit: Int) throws -> [Event] {
        var sql = "SELECT seq, id, time, type, correlation_id, causation_id, source, data FROM events WHERE seq > ?"
        var arguments: StatementArguments = [seq]
        if types.count < EventType.allCases.count {
            sql += " AND type IN (\(Array(repeating: "?", count: max(types.count, 1)).joined(separator: ", ")))"
            arguments += StatementArguments(types.isEmpty ? [""] : types.map(\.rawValue))
        }
        if let correlationId {
            sql += " AND correlation_id = ?"
            arguments += [correlationId]
        }
        sql += " ORDER BY seq LIMIT ?"
        arguments += [limit]
        return try db.fetchAllCached(sql: sql, arguments: arguments).compactMap(event(from:))
    }

    /// A row of seq, id, time, type, correlation_id, causation_id, source, data; nil for a type
    /// this version does not know (written by a newer server), which is skipped, not fatal.
    private static func event(from row: Row) throws -> Event? {
        guard let type = EventType(rawValue: row[3]) else { return nil }
        let data = try EventData.decode(type, from: Data((row[7] as String).utf8), using: EarshotJSON.decoder())
        return Event(
            seq: row[0], id: row[1], time: JobRow.date(row[2]), type: type, correlationId: row[4], causationId: row[5],
            source: row[6], data: data
        )
    }
}

/// Wakes event readers when a transaction that appended events commits.
final class EventCommitObserver: TransactionObserver {
    let signal: ChangeSignal
    // Only touched on the writer's queue, one transaction at a time.
    private nonisolated(unsafe) var appended = false

    init(signal: ChangeSignal) { self.signal = signal }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind { return table == "events" }
        return false
    }

    func databaseDidChange(with event: DatabaseEvent) { appended = true }

    func databaseDidCommit(_ db: Database) {
        guard appended else { return }
        appended = false
        signal.notify()
    }

    func databaseDidRollback(_ db: Database) { appended = false }
}
