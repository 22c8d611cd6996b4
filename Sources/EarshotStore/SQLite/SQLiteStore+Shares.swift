import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func shareJob(_ jobId: JobID, userId: String, access: ShareAccess, audit: AuditEventData, now: Date) async throws -> JobShare {
        try await pool.write { db in
            _ = try JobRow.require(db, id: jobId)
            _ = try Self.requireUser(db, id: userId)
            try db.execute(sql: """
                INSERT INTO job_shares (job_id, user_id, access, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (job_id, user_id) DO UPDATE SET access = excluded.access
                """, arguments: [jobId.rawValue, userId, access.rawValue, now.timeIntervalSince1970])
            try SQLiteEvents.append(db, .audit(.auditJobShared, audit), now: now)
            return try Self.shares(db, jobId: jobId, userId: userId)[0]
        }
    }

    public func unshareJob(_ jobId: JobID, userId: String, audit: AuditEventData, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM job_shares WHERE job_id = ? AND user_id = ?", arguments: [jobId.rawValue, userId])
            guard db.changesCount > 0 else { throw StoreError.shareNotFound(jobId, userId) }
            try SQLiteEvents.append(db, .audit(.auditJobShared, audit), now: now)
        }
    }

    public func jobShares(_ jobId: JobID) async throws -> [JobShare] {
        try await pool.read { db in
            _ = try JobRow.require(db, id: jobId)
            return try Self.shares(db, jobId: jobId, userId: nil)
        }
    }

    public func shareAccess(_ jobId: JobID, userId: String) async throws -> ShareAccess? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT access FROM job_shares WHERE job_id = ? AND user_id = ?", arguments: [jobId.rawValue, userId]
            ).flatMap(ShareAccess.init(rawValue:))
        }
    }

    /// A job's shares (one user's, or all), by username.
    private static func shares(_ db: Database, jobId: JobID, userId: String?) throws -> [JobShare] {
        let filter = userId == nil ? "" : "AND s.user_id = ?"
        return try Row.fetchAll(db, sql: """
            SELECT s.user_id, u.username, s.access, s.created_at FROM job_shares s JOIN users u ON u.id = s.user_id
            WHERE s.job_id = ? \(filter) ORDER BY u.username
            """, arguments: StatementArguments([jobId.rawValue] + (userId.map { [$0] } ?? []))).map { row in
            JobShare(jobId: jobId, userId: row[0], username: row[1], access: ShareAccess(rawValue: row[2]) ?? .read, createdAt: JobRow.date(row[3]))
        }
    }
}
