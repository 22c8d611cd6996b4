import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// The `streams` columns ``streamSource(_:)`` reads, in its order.
    private static let streamColumns = "id, name, url, enabled, stall_timeout_seconds, model, language, created_at, diarize"

    public func createStream(_ stream: StreamSource) async throws -> StreamSource {
        try await write { session in
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM streams WHERE name = ?)", [stream.name]) == true {
                throw StoreError.duplicateStreamName(stream.name)
            }
            do {
                try await session.execute("""
                    INSERT INTO streams (id, name, url, enabled, stall_timeout_seconds, model, language, created_at, diarize)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                        stream.id, stream.name, stream.url, stream.enabled, stream.stallTimeoutSeconds, stream.model, stream.language,
                        stream.createdAt.timeIntervalSince1970, stream.diarize,
                    ])
            } catch where Self.isUniqueViolation(error, on: "streams_name_key") {
                // Another replica created a stream of that name between the check and the insert.
                throw StoreError.duplicateStreamName(stream.name)
            }
            return try await Self.requireStream(session, stream.id)
        }
    }

    public func stream(_ id: String) async throws -> StreamSource {
        try await read { session in try await Self.requireStream(session, id) }
    }

    public func streams() async throws -> [StreamSource] {
        try await read { session in
            try await session.rows("SELECT \(Self.streamColumns) FROM streams ORDER BY created_at, id").map(Self.streamSource)
        }
    }

    public func setStreamEnabled(_ id: String, enabled: Bool) async throws -> StreamSource {
        try await write { session in
            guard let row = try await session.row(
                "UPDATE streams SET enabled = ? WHERE id = ? RETURNING \(Self.streamColumns)", [enabled, id]
            ) else { throw StoreError.streamNotFound(id) }
            return try Self.streamSource(row)
        }
    }

    public func deleteStream(_ id: String) async throws {
        try await write { session in
            guard try await session.row("DELETE FROM streams WHERE id = ? RETURNING id", [id]) != nil else { throw StoreError.streamNotFound(id) }
        }
    }

    private static func requireStream(_ session: PostgresSession, _ id: String) async throws -> StreamSource {
        guard let row = try await session.row("SELECT \(streamColumns) FROM streams WHERE id = ?", [id]) else {
            throw StoreError.streamNotFound(id)
        }
        return try streamSource(row)
    }

    /// A row selected with ``streamColumns``.
    private static func streamSource(_ row: PostgresRandomAccessRow) throws -> StreamSource {
        StreamSource(
            id: try row.get(0), name: try row.get(1), url: try row.get(2), enabled: try row.get(3), stallTimeoutSeconds: try row.get(4),
            model: try row.get(5), language: try row.get(6), diarize: try row.get(8), createdAt: JobRow.date(try row.get(7))
        )
    }
}
