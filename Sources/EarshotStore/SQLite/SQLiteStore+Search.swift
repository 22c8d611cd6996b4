import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func searchTranscripts(_ terms: SearchTerms, limit: Int, cursor: String?) async throws -> SearchPage {
        let offset = try SearchPaging.offset(from: cursor)
        // Each word quoted (so it is never FTS syntax), all required, the last also as a prefix.
        let expression = terms.words.enumerated().map { index, word in
            "\"\(word)\"" + (index == terms.words.count - 1 ? "*" : "")
        }.joined(separator: " ")
        return try await pool.read { db in
            let rows = try db.fetchAllCached(sql: """
                SELECT s.job_id, t.title, s.idx, s.start, s."end",
                    snippet(segments_fts, 0, char(2), char(3), '…', 24), bm25(segments_fts)
                FROM segments_fts
                JOIN segments s ON s.rowid = segments_fts.rowid
                JOIN transcripts t ON t.job_id = s.job_id
                WHERE segments_fts MATCH ? AND (? IS NULL OR s.job_id IN (SELECT id FROM jobs WHERE owner_id = ?)
                    OR s.job_id IN (SELECT job_id FROM job_shares WHERE user_id = ?))
                ORDER BY bm25(segments_fts), t.created_at DESC, s.idx
                LIMIT ? OFFSET ?
                """, arguments: [expression, terms.visibleTo, terms.visibleTo, terms.visibleTo, limit + 1, offset])
            let hits = rows.prefix(limit).map { row in
                let rank: Double = row[6]
                return SearchHit(
                    jobId: JobID(rawValue: row[0]), title: row[1], segment: row[2], start: row[3], end: row[4],
                    snippet: SearchPaging.snippet(fromMarked: row[5]),
                    // bm25 is lower for better matches; the API says higher is better.
                    score: -rank
                )
            }
            return SearchPage(hits: Array(hits), nextCursor: rows.count > limit ? String(offset + limit) : nil)
        }
    }
}
