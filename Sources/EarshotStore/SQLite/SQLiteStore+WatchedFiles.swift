import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func isWatchedFileRecorded(_ key: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM watched_files WHERE key = ?)"), arguments: [key]) ?? false
        }
    }

    public func recordWatchedFile(_ key: String, jobId: JobID, now: Date) async throws {
        try await pool.write { db in
            try db.executeCached(
                sql: "INSERT OR IGNORE INTO watched_files (key, job_id, created_at) VALUES (?, ?, ?)",
                arguments: [key, jobId.rawValue, now.timeIntervalSince1970]
            )
        }
    }
}
