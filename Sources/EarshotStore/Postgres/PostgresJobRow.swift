import EarshotCore
import Foundation
import PostgresNIO

/// Maps between `jobs` rows and ``Job`` (the columns are ``JobRow/columns``, in that order).
enum PostgresJobRow {
    static func job(from row: PostgresRandomAccessRow) throws -> Job {
        let errorCode = try row.get(22, as: String?.self)
        let errorMessage = try row.get(23, as: String?.self)
        let metadata = try row.get(30, as: String?.self)
        return Job(
            id: JobID(rawValue: try row.get(0)),
            state: JobState(rawValue: try row.get(1)) ?? .failed,
            priority: try row.get(2),
            options: TranscriptionOptions(
                model: try row.get(3), language: try row.get(4), beamSize: try row.get(5),
                wordTimestamps: try row.get(6), prompt: try row.get(28), temperature: try row.get(29),
                diarization: JobRow.diarization(try row.get(32, as: String?.self))
            ),
            media: MediaInfo(
                sha256: try row.get(7), filename: try row.get(8), contentType: try row.get(9),
                sizeBytes: try row.get(10), durationSeconds: try row.get(11), removedAt: JobRow.optionalDate(try row.get(26))
            ),
            progress: try row.get(12),
            attemptsUsed: try row.get(13),
            maxAttempts: try row.get(14),
            createdAt: JobRow.date(try row.get(18)),
            updatedAt: JobRow.date(try row.get(19)),
            startedAt: JobRow.optionalDate(try row.get(20)),
            finishedAt: JobRow.optionalDate(try row.get(21)),
            notBefore: JobRow.optionalDate(try row.get(17)),
            lastError: errorCode.map { JobError(code: $0, message: errorMessage ?? "") },
            leaseHolder: try row.get(15),
            leaseExpiresAt: JobRow.optionalDate(try row.get(16)),
            leaseToken: try row.get(24),
            draftId: try row.get(27),
            metadata: metadata.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) },
            ownerId: try row.get(31)
        )
    }

    /// The job and its lease token. `lock` takes the row's lock for the rest of the transaction:
    /// every write that decides on a job's state reads it that way, so two replicas never act on
    /// the same state.
    static func fetch(_ session: PostgresSession, id: JobID, lock: Bool = false) async throws -> (job: Job, token: Int64)? {
        guard let row = try await session.row(
            "SELECT \(JobRow.columns) FROM jobs WHERE id = ?\(lock ? " FOR UPDATE" : "")", [id.rawValue]
        ) else { return nil }
        return (try job(from: row), try row.get(24))
    }

    static func require(_ session: PostgresSession, id: JobID, lock: Bool = false) async throws -> Job {
        guard let found = try await fetch(session, id: id, lock: lock) else { throw StoreError.jobNotFound(id) }
        return found.job
    }
}
