import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func reviseSegment(
        _ id: JobID, index: Int, text: String, source: RevisionSource, author: String?, now: Date
    ) async throws -> RevisedSegment {
        try await write { session in
            // Locking the segment serializes revisions of it: each numbers itself after the last.
            let current = try await Self.fetchRevised(session, id, index: index, lock: true)
            let (revision, shown) = Revision.next(
                after: current.revisions, text: text, source: source, author: author, at: JobRow.date(now.timeIntervalSince1970),
                unrevised: current.originalText
            )
            let number = revision.number
            try await session.execute("""
                INSERT INTO segment_revisions (job_id, idx, number, text, source, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [id.rawValue, index, number, text, source.rawValue, author, now.timeIntervalSince1970])
            try await session.execute("""
                UPDATE segments SET text = ?, original_text = COALESCE(original_text, text) WHERE job_id = ? AND idx = ?
                """, [shown, id.rawValue, index])
            let transcript = try await session.row("""
                SELECT language, duration, (SELECT COUNT(*) FROM segments WHERE job_id = ?) FROM transcripts WHERE job_id = ?
                """, [id.rawValue, id.rawValue])
            try session.append(NewEvent(
                type: .transcriptRevised, correlationId: id.rawValue, source: author ?? source.rawValue,
                data: .transcript(TranscriptEventData(
                    jobId: id, language: try transcript?.get(0, as: String.self) ?? "", durationSeconds: try transcript?.get(1, as: Double.self) ?? 0,
                    segmentCount: try transcript?.get(2, as: Int.self) ?? 0, segment: index, revision: number, source: source, text: shown
                ))
            ), now: now)
            var revised = current
            revised.revisions.append(revision)
            revised.text = shown
            return revised
        }
    }

    public func revisedSegment(_ id: JobID, index: Int) async throws -> RevisedSegment {
        try await read { session in try await Self.fetchRevised(session, id, index: index) }
    }

    /// Throws `jobNotFound`, `transcriptNotFound` or `segmentNotFound` for what is missing.
    /// `lock` holds the segment's row until commit.
    private static func fetchRevised(_ session: PostgresSession, _ id: JobID, index: Int, lock: Bool = false) async throws -> RevisedSegment {
        guard let row = try await session.row("""
            SELECT start, "end", text, COALESCE(original_text, text) FROM segments WHERE job_id = ? AND idx = ?\(lock ? " FOR UPDATE" : "")
            """, [id.rawValue, index])
        else {
            guard try await PostgresJobRow.fetch(session, id: id) != nil else { throw StoreError.jobNotFound(id) }
            guard try await session.scalar(Bool.self, "SELECT true FROM transcripts WHERE job_id = ?", [id.rawValue]) != nil else {
                throw StoreError.transcriptNotFound(id)
            }
            throw StoreError.segmentNotFound(id, index: index)
        }
        let revisions = try await session.rows("""
            SELECT number, text, source, author, created_at FROM segment_revisions WHERE job_id = ? AND idx = ? ORDER BY number
            """, [id.rawValue, index]).map(revision(from:))
        return RevisedSegment(
            index: index, start: try row.get(0), end: try row.get(1), text: try row.get(2), originalText: try row.get(3), revisions: revisions
        )
    }

    /// A row of number, text, source, author, created_at (a segment's or a draft's revision).
    static func revision(from row: PostgresRandomAccessRow) throws -> Revision {
        Revision(
            number: try row.get(0), text: try row.get(1), source: RevisionSource(rawValue: try row.get(2)) ?? .unknown,
            author: try row.get(3), createdAt: JobRow.date(try row.get(4))
        )
    }
}
