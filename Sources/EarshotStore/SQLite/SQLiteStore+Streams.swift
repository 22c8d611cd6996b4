import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createStream(_ stream: StreamSource) async throws -> StreamSource {
        try await pool.write { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM streams WHERE name = ?)"), arguments: [stream.name]) == true {
                throw StoreError.duplicateStreamName(stream.name)
            }
            try db.executeCached(sql: """
                INSERT INTO streams (id, name, url, enabled, stall_timeout_seconds, model, language, diarize, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    stream.id, stream.name, stream.url, stream.enabled, stream.stallTimeoutSeconds, stream.model, stream.language, stream.diarize,
                    stream.createdAt.timeIntervalSince1970,
                ])
            return try Self.requireStream(db, stream.id)
        }
    }

    public func stream(_ id: String) async throws -> StreamSource {
        try await pool.read { db in try Self.requireStream(db, id) }
    }

    public func streams() async throws -> [StreamSource] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM streams ORDER BY created_at, id")).map(Self.streamSource)
        }
    }

    public func setStreamEnabled(_ id: String, enabled: Bool) async throws -> StreamSource {
        try await pool.write { db in
            try db.executeCached(sql: "UPDATE streams SET enabled = ? WHERE id = ?", arguments: [enabled, id])
            guard db.changesCount == 1 else { throw StoreError.streamNotFound(id) }
            return try Self.requireStream(db, id)
        }
    }

    public func deleteStream(_ id: String) async throws {
        try await pool.write { db in
            try db.executeCached(sql: "DELETE FROM streams WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.streamNotFound(id) }
        }
    }

    private static func requireStream(_ db: Database, _ id: String) throws -> StreamSource {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM streams WHERE id = ?"), arguments: [id]) else {
            throw StoreError.streamNotFound(id)
        }
        return streamSource(row)
    }

    private static func streamSource(_ row: Row) -> StreamSource {
        StreamSource(
            id: row["id"], name: row["name"], url: row["url"], enabled: row["enabled"], stallTimeoutSeconds: row["stall_timeout_seconds"],
            model: row["model"], language: row["language"], diarize: row["diarize"], createdAt: JobRow.date(row["created_at"])
        )
    }
}
