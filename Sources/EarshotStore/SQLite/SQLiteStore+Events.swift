import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func events(after seq: Int64, filter: EventTypeFilter, correlationId: String?, limit: Int) async throws -> [Event] {
        let types = filter.matchingTypes
        return try await pool.read { db in
            try SQLiteEvents.fetch(db, after: seq, types: types, correlationId: correlationId, limit: max(1, limit))
        }
    }

    public func latestEvent(type: EventType, correlationId: String) async throws -> Event? {
        try readNow { db in try SQLiteEvents.fetchLatest(db, type: type, correlationId: correlationId) }
    }

    public func appendEvent(_ event: NewEvent, now: Date) async throws -> Event {
        try writeNow { db in try SQLiteEvents.append(db, event, now: now) }
    }

    public func pluginCursor(_ plugin: String) async throws -> Int64? {
        try readNow { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM plugin_cursors WHERE plugin = ?"), arguments: [plugin])
        }
    }

    public func setPluginCursor(_ plugin: String, seq: Int64) async throws {
        try writeNow { db in
            try db.executeCached(sql: """
                INSERT INTO plugin_cursors (plugin, seq) VALUES (?, ?) ON CONFLICT (plugin) DO UPDATE SET seq = excluded.seq
                """, arguments: [plugin, seq])
        }
    }

    public func latestEventSeq() async throws -> Int64 {
        try readNow { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) FROM events")) ?? 0
        }
    }

    public func oldestEventSeq() async throws -> Int64? {
        try readNow { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(seq) FROM events"))
        }
    }

    public func pruneEvents(olderThan: Date, keepingAtMost: Int) async throws -> Int {
        try await pool.write { db in
            try db.executeCached(sql: "DELETE FROM events WHERE time < ?", arguments: [olderThan.timeIntervalSince1970])
            var deleted = db.changesCount
            try db.executeCached(sql: """
                DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)
                """, arguments: [max(0, keepingAtMost)])
            deleted += db.changesCount
            return deleted
        }
    }
}
