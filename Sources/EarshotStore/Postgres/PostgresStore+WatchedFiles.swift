import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func isWatchedFileRecorded(_ key: String) async throws -> Bool {
        try await read { session in
            try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM watched_files WHERE key = ?)", [key]) ?? false
        }
    }

    public func recordWatchedFile(_ key: String, jobId: JobID, now: Date) async throws {
        try await write { session in
            // The first record of a key stays, as SQLite's INSERT OR IGNORE keeps it.
            try await session.execute(
                "INSERT INTO watched_files (key, job_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [key, jobId.rawValue, now.timeIntervalSince1970]
            )
        }
    }
}
