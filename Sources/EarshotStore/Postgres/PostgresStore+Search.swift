import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func searchTranscripts(_ terms: SearchTerms, limit: Int, cursor: String?) async throws -> SearchPage {
        let offset = try SearchPaging.offset(from: cursor)
        // Every word required (websearch syntax cannot be injected: the words are plain), the last
        // also as a prefix, as one types.
        let leading = terms.words.dropLast().joined(separator: " ")
        let last = terms.words.last ?? ""
        let prefix = "'\(last.replacingOccurrences(of: "'", with: "''"))':*"
        let query = leading.isEmpty
            ? "to_tsquery('earshot_search', ?)"
            : "(websearch_to_tsquery('earshot_search', ?) && to_tsquery('earshot_search', ?))"
        let queryArguments: [SQLArgument] = leading.isEmpty ? [prefix] : [leading, prefix]
        let ownerCondition = terms.visibleTo == nil ? "" : """
            AND (s.job_id IN (SELECT id FROM jobs WHERE owner_id = ?) OR s.job_id IN (SELECT job_id FROM job_shares WHERE user_id = ?))
            """
        let ownerArguments: [SQLArgument] = terms.visibleTo.map { [$0, $0] } ?? []
        return try await read { session in
            // Rank 2 divides by the segment's length: two matches in a short segment beat one in
            // a long one, as bm25 ranks them in the SQLite store.
            let rows = try await session.rows("""
                WITH q AS (SELECT \(query) AS query)
                SELECT s.job_id, t.title, s.idx, s.start, s."end",
                    ts_headline('earshot_search', s.text, q.query,
                        'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=24, MinWords=12, HighlightAll=false'),
                    ts_rank_cd(s.search, q.query, 2) AS rank
                FROM segments s
                JOIN transcripts t ON t.job_id = s.job_id
                CROSS JOIN q
                WHERE s.search @@ q.query \(ownerCondition)
                ORDER BY rank DESC, t.created_at DESC, s.idx, s.job_id
                LIMIT ? OFFSET ?
                """, queryArguments + ownerArguments + [limit + 1, offset])
            let hits = try rows.prefix(limit).map { row in
                SearchHit(
                    jobId: JobID(rawValue: try row.get(0)), title: try row.get(1), segment: try row.get(2), start: try row.get(3),
                    end: try row.get(4), snippet: SearchPaging.snippet(fromMarked: try row.get(5)), score: Double(try row.get(6, as: Float.self))
                )
            }
            return SearchPage(hits: hits, nextCursor: rows.count > limit ? String(offset + limit) : nil)
        }
    }
}
