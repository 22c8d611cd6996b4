import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// The `drafts` columns ``drafts(from:_:)`` reads, in its order; `seq` (index 14) is the paging
    /// cursor, where SQLite uses `rowid`.
    static let draftColumns = """
        id, session_id, state, offset_seconds, duration_seconds, text, original_text, model, language, segments, has_audio,
        created_at, ended_at, reprocess_job_id, seq, owner_id, speaker
        """

    public func startDraft(_ draft: NewDraft, now: Date) async throws -> Draft {
        let id = UUID().uuidString.lowercased()
        return try await write { session in
            try await session.execute("""
                INSERT INTO drafts (id, session_id, state, offset_seconds, model, language, created_at, owner_id)
                VALUES (?, ?, 'open', ?, ?, ?, ?, ?)
                """, [id, draft.sessionId, draft.offsetSeconds, draft.model, draft.language, now.timeIntervalSince1970, draft.ownerId])
            try session.append(NewEvent(
                type: .draftStarted, correlationId: draft.sessionId, source: "live",
                data: .draft(DraftEventData(draftId: id, sessionId: draft.sessionId, offsetSeconds: draft.offsetSeconds))
            ), now: now)
            return try await Self.requireDraft(session, id)
        }
    }

    public func endDraft(_ id: String, result: DraftResult, now: Date) async throws -> Draft {
        let segments = String(decoding: try JSONEncoder().encode(result.segments), as: UTF8.self)
        let text = result.text
        return try await write { session in
            // Locked: a revision committing meanwhile would otherwise be shown over by `text`.
            let current = try await Self.requireDraft(session, id, lock: true)
            let shown = Revision.winner(of: current.revisions)?.text ?? text
            try await session.execute("""
                UPDATE drafts SET state = 'ended', duration_seconds = ?, text = ?, original_text = ?, language = COALESCE(?, language),
                    segments = ?, has_audio = ?, ended_at = ?, speaker = ? WHERE id = ?
                """, [
                    result.durationSeconds, shown, text, result.language, segments, result.hasAudio, now.timeIntervalSince1970, result.speaker, id,
                ])
            try session.append(NewEvent(
                type: .draftEnded, correlationId: current.sessionId, source: "live",
                data: .draft(DraftEventData(
                    draftId: id, sessionId: current.sessionId, offsetSeconds: current.offsetSeconds, text: text, speaker: result.speaker
                ))
            ), now: now)
            return try await Self.requireDraft(session, id)
        }
    }

    public func reviseDraft(_ id: String, text: String, source: RevisionSource, author: String?, now: Date) async throws -> Draft {
        try await write { session in try await Self.insertDraftRevision(session, id, text: text, source: source, author: author, now: now) }
    }

    /// Records a revision and shows the winner, in the caller's transaction (a reprocess job's
    /// completion adds one in the same commit as its transcript). Locks the draft's row, so
    /// concurrent revisions number themselves one after the other.
    static func insertDraftRevision(
        _ session: PostgresSession, _ id: String, text: String, source: RevisionSource, author: String?, now: Date
    ) async throws -> Draft {
        let current = try await Self.requireDraft(session, id, lock: true)
        let (revision, shown) = Revision.next(
            after: current.revisions, text: text, source: source, author: author, at: JobRow.date(now.timeIntervalSince1970), unrevised: text
        )
        let number = revision.number
        try await session.execute("""
            INSERT INTO draft_revisions (draft_id, number, text, source, author, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, [id, number, text, source.rawValue, author, now.timeIntervalSince1970])
        try await session.execute("UPDATE drafts SET text = ? WHERE id = ?", [shown, id])
        try session.append(NewEvent(
            type: .draftRevised, correlationId: current.sessionId, source: author ?? source.rawValue,
            data: .draft(DraftEventData(draftId: id, sessionId: current.sessionId, text: shown, revision: number, source: source))
        ), now: now)
        return try await Self.requireDraft(session, id)
    }

    public func renameDraftSpeaker(sessionId: String, from: String, to: String, now: Date) async throws -> [Draft] {
        try await write { session in
            let ids = try await session.rows(
                "SELECT id FROM drafts WHERE session_id = ? AND speaker = ? ORDER BY seq FOR UPDATE", [sessionId, from]
            ).map { try $0.get(0, as: String.self) }
            var renamed: [Draft] = []
            for id in ids {
                let draft = DraftSpeakerRename.renamed(try await Self.requireDraft(session, id), from: from, to: to)
                try await session.execute("UPDATE drafts SET speaker = ?, segments = ? WHERE id = ?", [
                    to, String(decoding: try JSONEncoder().encode(draft.segments), as: UTF8.self), id,
                ])
                try session.append(DraftSpeakerRename.event(draft, to: to), now: now)
                renamed.append(draft)
            }
            return renamed
        }
    }

    public func draft(_ id: String) async throws -> Draft {
        try await read { session in try await Self.requireDraft(session, id) }
    }

    public func drafts(sessionId: String?, ownedBy ownerId: String?, limit: Int, cursor: String?) async throws -> DraftPage {
        var conditions: [String] = []
        var arguments: [SQLArgument] = []
        if let sessionId {
            conditions.append("session_id = ?")
            arguments.append(sessionId)
        }
        if let ownerId {
            conditions.append("owner_id = ?")
            arguments.append(ownerId)
        }
        if let cursor {
            guard let seq = Int64(cursor), seq > 0 else { throw StoreError.invalidCursor(cursor) }
            conditions.append("seq < ?")
            arguments.append(seq)
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let size = max(1, limit)
        arguments.append(size + 1)
        let finalArguments = arguments
        return try await read { session in
            let rows = try await session.rows(
                "SELECT \(Self.draftColumns) FROM drafts \(whereClause) ORDER BY seq DESC LIMIT ?", finalArguments
            )
            let page = Array(rows.prefix(size))
            let drafts = try await Self.drafts(from: page, session)
            var next: String?
            if rows.count > size, let last = page.last { next = String(try last.get(14, as: Int64.self)) }
            return DraftPage(drafts: drafts, nextCursor: next)
        }
    }

    /// The draft; `lock` holds its row until commit. Every write that decides on a draft's
    /// revisions or suggestions locks it first, so they are read and numbered one writer at a time.
    static func requireDraft(_ session: PostgresSession, _ id: String, lock: Bool = false) async throws -> Draft {
        guard let row = try await session.row("SELECT \(draftColumns) FROM drafts WHERE id = ?\(lock ? " FOR UPDATE" : "")", [id]) else {
            throw StoreError.draftNotFound(id)
        }
        return try await drafts(from: [row], session)[0]
    }

    /// Rows selected with ``draftColumns``, as drafts with their revisions and suggestions. Those
    /// are read for the whole page at once: a query per draft is a round trip per draft.
    private static func drafts(from rows: [PostgresRandomAccessRow], _ session: PostgresSession) async throws -> [Draft] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.get(0, as: String.self) }
        var revisions: [String: [Revision]] = [:]
        for row in try await session.rows("""
            SELECT number, text, source, author, created_at, draft_id FROM draft_revisions WHERE draft_id = ANY(?) ORDER BY draft_id, number
            """, [ids]) {
            revisions[try row.get(5, as: String.self), default: []].append(try revision(from: row))
        }
        let suggestions = try await suggestions(session, of: ids)
        return try rows.map { row in
            let id = try row.get(0, as: String.self)
            let segments = try row.get(9, as: String.self)
            return Draft(
                id: id, sessionId: try row.get(1), state: Draft.State(rawValue: try row.get(2)) ?? .ended, offsetSeconds: try row.get(3),
                durationSeconds: try row.get(4), text: try row.get(5), originalText: try row.get(6), model: try row.get(7),
                language: try row.get(8), segments: try JSONDecoder().decode([Segment].self, from: Data(segments.utf8)),
                hasAudio: try row.get(10), createdAt: JobRow.date(try row.get(11)), endedAt: JobRow.optionalDate(try row.get(12)),
                revisions: revisions[id] ?? [], reprocessJobId: try row.get(13), suggestions: suggestions[id] ?? [],
                ownerId: try row.get(15), speaker: try row.get(16)
            )
        }
    }
}
