import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func reviseSegment(
        _ id: JobID, index: Int, text: String, source: RevisionSource, author: String?, now: Date
    ) async throws -> RevisedSegment {
        try await pool.write { db in
            let current = try Self.fetchRevised(db, id, index: index)
            let (revision, shown) = Revision.next(
                after: current.revisions, text: text, source: source, author: author, at: JobRow.date(now.timeIntervalSince1970),
                unrevised: current.originalText
            )
            let number = revision.number
            try db.executeCached(sql: """
                INSERT INTO segment_revisions (job_id, idx, number, text, source, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id.rawValue, index, number, text, source.rawValue, author, now.timeIntervalSince1970])
            try db.executeCached(sql: """
                UPDATE segments SET text = ?, original_text = COALESCE(original_text, text) WHERE job_id = ? AND idx = ?
                """, arguments: [shown, id.rawValue, index])
            let transcript = try Row.fetchOne(db, sql: """
                SELECT language, duration, (SELECT COUNT(*) FROM segments WHERE job_id = ?) AS count FROM transcripts WHERE job_id = ?
                """, arguments: [id.rawValue, id.rawValue])
            try SQLiteEvents.append(db, NewEvent(
                type: .transcriptRevised, correlationId: id.rawValue, source: author ?? source.rawValue,
                data: .transcript(TranscriptEventData(
                    jobId: id, language: transcript?["language"] ?? "", durationSeconds: transcript?["duration"] ?? 0,
                    segmentCount: transcript?["count"] ?? 0, segment: index, revision: number, source: source, text: shown
                ))
            ), now: now)
            var revised = current
            revised.revisions.append(revision)
            revised.text = shown
            return revised
        }
    }

    public func revisedSegment(_ id: JobID, index: Int) async throws -> RevisedSegment {
        try await pool.read { db in try Self.fetchRevised(db, id, index: index) }
    }

    /// Throws `jobNotFound`, `transcriptNotFound` or `segmentNotFound` for what is missing.
    private static func fetchRevised(_ db: Database, _ id: JobID, index: Int) throws -> RevisedSegment {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT start, "end", text, COALESCE(original_text, text) AS original FROM segments WHERE job_id = ? AND idx = ?
            """, arguments: [id.rawValue, index])
        else {
            guard try JobRow.fetch(db, id: id) != nil else { throw StoreError.jobNotFound(id) }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM transcripts WHERE job_id = ?", arguments: [id.rawValue]) != nil else {
                throw StoreError.transcriptNotFound(id)
            }
            throw StoreError.segmentNotFound(id, index: index)
        }
        let revisions = try Row.fetchAll(db, sql: """
            SELECT number, text, source, author, created_at FROM segment_revisions WHERE job_id = ? AND idx = ? ORDER BY number
            """, arguments: [id.rawValue, index]).map { row in
            Revision(
                number: row["number"], text: row["text"], source: RevisionSource(rawValue: row["source"]) ?? .unknown,
                author: row["author"], createdAt: JobRow.date(row["created_at"])
            )
        }
        return RevisedSegment(
            index: index, start: row["start"], end: row["end"], text: row["text"], originalText: row["original"], revisions: revisions
        )
    }
}
