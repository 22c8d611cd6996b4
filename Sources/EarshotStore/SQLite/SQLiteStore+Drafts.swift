import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func startDraft(_ draft: NewDraft, now: Date) async throws -> Draft {
        let id = UUID().uuidString.lowercased()
        return try await pool.write { db in
            try db.executeCached(sql: """
                INSERT INTO drafts (id, session_id, state, offset_seconds, model, language, created_at, owner_id)
                VALUES (?, ?, 'open', ?, ?, ?, ?, ?)
                """, arguments: [id, draft.sessionId, draft.offsetSeconds, draft.model, draft.language, now.timeIntervalSince1970, draft.ownerId])
            try SQLiteEvents.append(db, NewEvent(
                type: .draftStarted, correlationId: draft.sessionId, source: "live",
                data: .draft(DraftEventData(draftId: id, sessionId: draft.sessionId, offsetSeconds: draft.offsetSeconds))
            ), now: now)
            return try Self.requireDraft(db, id)
        }
    }

    public func endDraft(_ id: String, result: DraftResult, now: Date) async throws -> Draft {
        let segments = String(decoding: try JSONEncoder().encode(result.segments), as: UTF8.self)
        let text = result.text
        return try await pool.write { db in
            let current = try Self.requireDraft(db, id)
            let shown = Revision.winner(of: current.revisions)?.text ?? text
            try db.executeCached(sql: """
                UPDATE drafts SET state = 'ended', duration_seconds = ?, text = ?, original_text = ?, language = COALESCE(?, language),
                    segments = ?, has_audio = ?, ended_at = ?, speaker = ? WHERE id = ?
                """, arguments: [
                    result.durationSeconds, shown, text, result.language, segments, result.hasAudio, now.timeIntervalSince1970, result.speaker, id,
                ])
            try SQLiteEvents.append(db, NewEvent(
                type: .draftEnded, correlationId: current.sessionId, source: "live",
                data: .draft(DraftEventData(
                    draftId: id, sessionId: current.sessionId, offsetSeconds: current.offsetSeconds, text: text, speaker: result.speaker
                ))
            ), now: now)
            return try Self.requireDraft(db, id)
        }
    }

    public func reviseDraft(_ id: String, text: String, source: RevisionSource, author: String?, now: Date) async throws -> Draft {
        try await pool.write { db in try Self.insertDraftRevision(db, id, text: text, source: source, author: author, now: now) }
    }

    /// Records a revision and shows the winner, in the caller's transaction (a reprocess job's
    /// completion adds one in the same commit as its transcript).
    static func insertDraftRevision(
        _ db: Database, _ id: String, text: String, source: RevisionSource, author: String?, now: Date
    ) throws -> Draft {
        let current = try Self.requireDraft(db, id)
        let (revision, shown) = Revision.next(
            after: current.revisions, text: text, source: source, author: author, at: JobRow.date(now.timeIntervalSince1970), unrevised: text
        )
        let number = revision.number
        try db.executeCached(sql: """
            INSERT INTO draft_revisions (draft_id, number, text, source, author, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [id, number, text, source.rawValue, author, now.timeIntervalSince1970])
        try db.executeCached(sql: "UPDATE drafts SET text = ? WHERE id = ?", arguments: [shown, id])
        try SQLiteEvents.append(db, NewEvent(
            type: .draftRevised, correlationId: current.sessionId, source: author ?? source.rawValue,
            data: .draft(DraftEventData(draftId: id, sessionId: current.sessionId, text: shown, revision: number, source: source))
        ), now: now)
        return try Self.requireDraft(db, id)
    }

    public func renameDraftSpeaker(sessionId: String, from: String, to: String, now: Date) async throws -> [Draft] {
        try await pool.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM drafts WHERE session_id = ? AND speaker = ? ORDER BY rowid", arguments: [sessionId, from])
            return try ids.map { id in
                let renamed = DraftSpeakerRename.renamed(try Self.requireDraft(db, id), from: from, to: to)
                try db.executeCached(sql: "UPDATE drafts SET speaker = ?, segments = ? WHERE id = ?", arguments: [
                    to, String(decoding: try JSONEncoder().encode(renamed.segments), as: UTF8.self), id,
                ])
                try SQLiteEvents.append(db, DraftSpeakerRename.event(renamed, to: to), now: now)
                return renamed
            }
        }
    }

    public func draft(_ id: String) async throws -> Draft {
        try await pool.read { db in try Self.requireDraft(db, id) }
    }

    public func drafts(sessionId: String?, ownedBy ownerId: String?, limit: Int, cursor: String?) async throws -> DraftPage {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let sessionId {
            conditions.append("session_id = ?")
            arguments += [sessionId]
        }
        if let ownerId {
            conditions.append("owner_id = ?")
            arguments += [ownerId]
        }
        if let cursor {
            guard let rowid = Int64(cursor), rowid > 0 else { throw StoreError.invalidCursor(cursor) }
            conditions.append("rowid < ?")
            arguments += [rowid]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let size = max(1, limit)
        arguments += [size + 1]
        let finalArguments = arguments
        return try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT rowid, * FROM drafts \(whereClause) ORDER BY rowid DESC LIMIT ?", arguments: finalArguments)
            let page = Array(rows.prefix(size))
            let drafts = try page.map { try Self.draft(from: $0, db) }
            let next: String? = rows.count > size ? page.last.map { String($0["rowid"] as Int64) } : nil
            return DraftPage(drafts: drafts, nextCursor: next)
        }
    }

    static func requireDraft(_ db: Database, _ id: String) throws -> Draft {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM drafts WHERE id = ?", arguments: [id]) else { throw StoreError.draftNotFound(id) }
        return try draft(from: row, db)
    }

    private static func draft(from row: Row, _ db: Database) throws -> Draft {
        let id: String = row["id"]
        let revisions = try Row.fetchAll(db, sql: """
            SELECT number, text, source, author, created_at FROM draft_revisions WHERE draft_id = ? ORDER BY number
            """, arguments: [id]).map { revision in
            Revision(
                number: revision["number"], text: revision["text"], source: RevisionSource(rawValue: revision["source"]) ?? .unknown,
                author: revision["author"], createdAt: JobRow.date(revision["created_at"])
            )
        }
        let segments: String = row["segments"]
        return Draft(
            id: id, sessionId: row["session_id"], state: Draft.State(rawValue: row["state"]) ?? .ended, offsetSeconds: row["offset_seconds"],
            durationSeconds: row["duration_seconds"], text: row["text"], originalText: row["original_text"], model: row["model"],
            language: row["language"], segments: try JSONDecoder().decode([Segment].self, from: Data(segments.utf8)),
            hasAudio: row["has_audio"], createdAt: JobRow.date(row["created_at"]), endedAt: JobRow.optionalDate(row["ended_at"]),
            revisions: revisions, reprocessJobId: row["reprocess_job_id"], suggestions: try suggestions(db, of: id), ownerId: row["owner_id"],
            speaker: row["speaker"]
        )
    }
}
