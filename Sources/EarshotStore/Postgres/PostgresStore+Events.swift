import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func events(after seq: Int64, filter: EventTypeFilter, correlationId: String?, limit: Int) async throws -> [Event] {
        let types = filter.matchingTypes
        var sql = "SELECT seq, id, time, type, correlation_id, causation_id, source, data FROM events WHERE seq > ?"
        var arguments: [SQLArgument] = [seq]
        if types.count < EventType.allCases.count {
            sql += " AND type = ANY(?)"
            arguments.append(types.map(\.rawValue))
        }
        if let correlationId {
            sql += " AND correlation_id = ?"
            arguments.append(correlationId)
        }
        sql += " ORDER BY seq LIMIT ?"
        arguments.append(max(1, limit))
        let finalSQL = sql
        let finalArguments = arguments
        return try await read { session in try await session.rows(finalSQL, finalArguments).compactMap(Self.event(from:)) }
    }

    public func latestEvent(type: EventType, correlationId: String) async throws -> Event? {
        try await read { session in
            try await session.rows("""
                SELECT seq, id, time, type, correlation_id, causation_id, source, data FROM events
                WHERE correlation_id = ? AND type = ? ORDER BY seq DESC LIMIT 1
                """, [correlationId, type.rawValue]).compactMap(Self.event(from:)).first
        }
    }

    /// A row of seq, id, time, type, correlation_id, causation_id, source, data; nil for a type
    /// this version does not know (written by a newer server), which is skipped, not fatal.
    private static func event(from row: PostgresRandomAccessRow) throws -> Event? {
        guard let type = EventType(rawValue: try row.get(3)) else { return nil }
        let data = try EventData.decode(type, from: Data(try row.get(7, as: String.self).utf8), using: EarshotJSON.decoder())
        return Event(
            seq: try row.get(0), id: try row.get(1), time: JobRow.date(try row.get(2)), type: type,
            correlationId: try row.get(4), causationId: try row.get(5), source: try row.get(6), data: data
        )
    }

    public func appendEvent(_ event: NewEvent, now: Date) async throws -> Event {
        try await write { session in
            var appended = try session.append(event, now: now)
            appended.seq = try await session.flushEvents().first ?? 0
            return appended
        }
    }

    public func pluginCursor(_ plugin: String) async throws -> Int64? {
        try await read { session in
            try await session.scalar(Int64.self, "SELECT seq FROM plugin_cursors WHERE plugin = ?", [plugin])
        }
    }

    public func setPluginCursor(_ plugin: String, seq: Int64) async throws {
        try await write { session in
            try await session.execute("""
                INSERT INTO plugin_cursors (plugin, seq) VALUES (?, ?) ON CONFLICT (plugin) DO UPDATE SET seq = excluded.seq
                """, [plugin, seq])
        }
    }

    public func latestEventSeq() async throws -> Int64 {
        try await read { session in try await session.scalar(Int64.self, "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 }
    }

    public func oldestEventSeq() async throws -> Int64? {
        try await read { session in try await session.scalar(Int64.self, "SELECT MIN(seq) FROM events") }
    }

    public func pruneEvents(olderThan: Date, keepingAtMost: Int) async throws -> Int {
        try await write { session in
            let byAge = try await session.rows("DELETE FROM events WHERE time < ? RETURNING seq", [olderThan.timeIntervalSince1970])
            let byCount = try await session.rows("""
                DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?) RETURNING seq
                """, [max(0, keepingAtMost)])
            return byAge.count + byCount.count
        }
    }
}
