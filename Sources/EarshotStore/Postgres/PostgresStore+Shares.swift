import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func shareJob(_ jobId: JobID, userId: String, access: ShareAccess, audit: AuditEventData, now: Date) async throws -> JobShare {
        try await write { session in
            // The job's row lock keeps a concurrent delete from leaving a share behind it.
            _ = try await PostgresJobRow.require(session, id: jobId, lock: true)
            _ = try await Self.requireUser(session, id: userId)
            try await session.execute("""
                INSERT INTO job_shares (job_id, user_id, access, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (job_id, user_id) DO UPDATE SET access = excluded.access
                """, [jobId.rawValue, userId, access.rawValue, now.timeIntervalSince1970])
            _ = try session.append(.audit(.auditJobShared, audit), now: now)
            return try await Self.shares(session, jobId: jobId, userId: userId)[0]
        }
    }

    public func unshareJob(_ jobId: JobID, userId: String, audit: AuditEventData, now: Date) async throws {
        try await write { session in
            let removed = try await session.rows(
                "DELETE FROM job_shares WHERE job_id = ? AND user_id = ? RETURNING user_id", [jobId.rawValue, userId]
            )
            guard !removed.isEmpty else { throw StoreError.shareNotFound(jobId, userId) }
            _ = try session.append(.audit(.auditJobShared, audit), now: now)
        }
    }

    public func jobShares(_ jobId: JobID) async throws -> [JobShare] {
        try await read { session in
            _ = try await PostgresJobRow.require(session, id: jobId)
            return try await Self.shares(session, jobId: jobId, userId: nil)
        }
    }

    public func shareAccess(_ jobId: JobID, userId: String) async throws -> ShareAccess? {
        try await read { session in
            try await session.scalar(
                String.self, "SELECT access FROM job_shares WHERE job_id = ? AND user_id = ?", [jobId.rawValue, userId]
            ).flatMap(ShareAccess.init(rawValue:))
        }
    }

    /// A job's shares (one user's, or all), by username.
    private static func shares(_ session: PostgresSession, jobId: JobID, userId: String?) async throws -> [JobShare] {
        let filter = userId == nil ? "" : "AND s.user_id = ?"
        let arguments: [SQLArgument] = [jobId.rawValue] + (userId.map { [$0] } ?? [])
        return try await session.rows("""
            SELECT s.user_id, u.username, s.access, s.created_at FROM job_shares s JOIN users u ON u.id = s.user_id
            WHERE s.job_id = ? \(filter) ORDER BY u.username
            """, arguments).map { row in
            JobShare(
                jobId: jobId, userId: try row.get(0), username: try row.get(1),
                access: ShareAccess(rawValue: try row.get(2, as: String.self)) ?? .read, createdAt: JobRow.date(try row.get(3))
            )
        }
    }
}
