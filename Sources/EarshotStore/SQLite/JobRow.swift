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
        error_code, error_message, lease_token, seq, media_removed_at, draft_id, prompt, temperature, metadata, owner_id,
        diarization
        """

    /// Reads a row selected with ``columns``, by position: looking columns up by name costs a
    /// case-insensitive string comparison per column, per row.
    static func job(from row: Row) -> Job {
        let errorCode: String? = row[22]
        let errorMessage: String? = row[23]
        return Job(
            id: JobID(rawValue: row[0]),
            state: JobState(rawValue: row[1]) ?? .failed,
            priority: row[2],
            options: TranscriptionOptions(
                model: row[3], language: row[4], beamSize: row[5],
                wordTimestamps: row[6], prompt: row[28], temperature: row[29], diarization: diarization(row[32])
            ),
            media: MediaInfo(
                sha256: row[7], filename: row[8], contentType: row[9],
                sizeBytes: row[10], durationSeconds: row[11], removedAt: optionalDate(row[26])
            ),
            progress: row[12],
            attemptsUsed: row[13],
            maxAttempts: row[14],
            createdAt: date(row[18]),
            updatedAt: date(row[19]),
            startedAt: optionalDate(row[20]),
            finishedAt: optionalDate(row[21]),
            notBefore: optionalDate(row[17]),
            lastError: errorCode.map { JobError(code: $0, message: errorMessage ?? "") },
            leaseHolder: row[15],
            leaseExpiresAt: optionalDate(row[16]),
            leaseToken: row[24],
            draftId: row[27],
            metadata: (row[30] as String?).flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) },
            ownerId: row[31]
        )
    }

    /// `diarization` is the options as JSON, or NULL when the job does not ask for it; both stores.
    static func diarization(_ text: String?) -> DiarizationOptions? {
        text.flatMap { try? JSONDecoder().decode(DiarizationOptions.self, from: Data($0.utf8)) }
    }

    static func diarizationColumn(_ options: DiarizationOptions?) -> String? {
        options.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
    static func optionalDate(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func fetch(_ db: Database, id: JobID) throws -> (job: Job, token: Int64)? {
        // A cursor's row reads the statement's columns in place; `fetchOne` would first copy all
        // 33 of them, several times per job on the queue's hot path.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columns) FROM jobs WHERE id = ?"), arguments: [id.rawValue])
        guard let row = try rows.next() else { return nil }
        return (job(from: row), row[24])
    }

    static func require(_ db: Database, id: JobID) throws -> Job {
        guard let found = try fetch(db, id: id) else { throw StoreError.jobNotFound(id) }
        return found.job
    }
}
