import EarshotCore
import Foundation
import GRDB

/// Maps between `jobs` rows and ``Job``. Times are stored as Unix seconds (REAL) so the same
/// values work in SQLite and PostgreSQL.
enum JobRow {
    static let columns = """
        id, state, priority, model, language, beam_size, word_timestamps, media_sha256, media_filename,
        media_content_type, media_size, media_duration, progress, attempts_used, max_attempts,
        lease_holder, lease_expires_at, not_before, created_at, updated_at, started_at, finished_at,
        error_code, error_message, lease_token, seq
        """

    static func job(from row: Row) -> Job {
        let errorCode: String? = row["error_code"]
        let errorMessage: String? = row["error_message"]
        return Job(
            id: JobID(rawValue: row["id"]),
            state: JobState(rawValue: row["state"]) ?? .failed,
            priority: row["priority"],
            options: TranscriptionOptions(
                model: row["model"], language: row["language"], beamSize: row["beam_size"],
                wordTimestamps: row["word_timestamps"]
            ),
            media: MediaInfo(
                sha256: row["media_sha256"], filename: row["media_filename"], contentType: row["media_content_type"],
                sizeBytes: row["media_size"], durationSeconds: row["media_duration"]
            ),
            progress: row["progress"],
            attemptsUsed: row["attempts_used"],
            maxAttempts: row["max_attempts"],
            createdAt: date(row["created_at"]),
            updatedAt: date(row["updated_at"]),
            startedAt: optionalDate(row["started_at"]),
            finishedAt: optionalDate(row["finished_at"]),
            notBefore: optionalDate(row["not_before"]),
            lastError: errorCode.map { JobError(code: $0, message: errorMessage ?? "") },
            leaseHolder: row["lease_holder"],
            leaseExpiresAt: optionalDate(row["lease_expires_at"]),
            leaseToken: row["lease_token"]
        )
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
    static func optionalDate(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func fetch(_ db: Database, id: JobID) throws -> (job: Job, token: Int64)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM jobs WHERE id = ?", arguments: [id.rawValue]) else {
            return nil
        }
        return (job(from: row), row["lease_token"])
    }

    static func require(_ db: Database, id: JobID) throws -> Job {
        guard let found = try fetch(db, id: id) else { throw StoreError.jobNotFound(id) }
        return found.job
    }
}
