import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func addSuggestion(_ draftId: String, baseText: String, text: String, model: String, now: Date) async throws -> Draft {
        let changes = TextDiff.changes(from: baseText, to: text)
        let encoded = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        return try await write { session in
            // Locked: the number follows the last suggestion, which another writer must not add meanwhile.
            let draft = try await Self.requireDraft(session, draftId, lock: true)
            guard !changes.isEmpty else { return draft }
            let number = (draft.suggestions.last?.number ?? 0) + 1
            try await session.execute("""
                INSERT INTO draft_suggestions (draft_id, number, base_text, text, model, changes, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)
                """, [draftId, number, baseText, text, model, encoded, now.timeIntervalSince1970])
            try session.append(NewEvent(
                type: .draftSuggested, correlationId: draft.sessionId, source: "llm:\(model)",
                data: .draft(DraftEventData(draftId: draftId, sessionId: draft.sessionId, text: text))
            ), now: now)
            return try await Self.requireDraft(session, draftId)
        }
    }

    public func applySuggestion(
        _ draftId: String, number: Int, changes chosen: [Int]?, source: RevisionSource, author: String?, now: Date
    ) async throws -> Draft {
        try await write { session in
            let suggestion = try await Self.pendingSuggestion(session, draftId, number)
            let picked: [TextChange]
            if let chosen {
                guard !chosen.isEmpty, Set(chosen).count == chosen.count, chosen.allSatisfy(suggestion.changes.indices.contains) else {
                    throw StoreError.invalidChanges("changes must be distinct numbers in 0..<\(suggestion.changes.count)")
                }
                picked = chosen.map { suggestion.changes[$0] }
            } else {
                picked = suggestion.changes
            }
            let text = TextDiff.apply(picked, to: suggestion.baseText)
            try await Self.decide(session, draftId, number, state: .applied, by: author, now: now)
            return try await Self.insertDraftRevision(session, draftId, text: text, source: source, author: author, now: now)
        }
    }

    public func dismissSuggestion(_ draftId: String, number: Int, by author: String?, now: Date) async throws -> Draft {
        try await write { session in
            _ = try await Self.pendingSuggestion(session, draftId, number)
            try await Self.decide(session, draftId, number, state: .dismissed, by: author, now: now)
            return try await Self.requireDraft(session, draftId)
        }
    }

    /// The suggestion, if still pending. Locks the draft's row: of two people deciding on the
    /// same suggestion at once, the second waits and then finds it decided.
    private static func pendingSuggestion(_ session: PostgresSession, _ draftId: String, _ number: Int) async throws -> DraftSuggestion {
        let draft = try await requireDraft(session, draftId, lock: true)
        guard let suggestion = draft.suggestions.first(where: { $0.number == number }) else { throw StoreError.suggestionNotFound(draftId, number) }
        guard suggestion.state == .pending else { throw StoreError.suggestionDecided(draftId, number) }
        return suggestion
    }

    private static func decide(
        _ session: PostgresSession, _ draftId: String, _ number: Int, state: DraftSuggestion.State, by author: String?, now: Date
    ) async throws {
        try await session.execute("""
            UPDATE draft_suggestions SET state = ?, decided_at = ?, decided_by = ? WHERE draft_id = ? AND number = ?
            """, [state.rawValue, now.timeIntervalSince1970, author, draftId, number])
    }

    /// The suggestions of each of the drafts, oldest first (a draft with none is absent).
    static func suggestions(_ session: PostgresSession, of draftIds: [String]) async throws -> [String: [DraftSuggestion]] {
        var suggestions: [String: [DraftSuggestion]] = [:]
        for row in try await session.rows("""
            SELECT number, base_text, text, model, changes, state, created_at, decided_at, decided_by, draft_id
            FROM draft_suggestions WHERE draft_id = ANY(?) ORDER BY draft_id, number
            """, [draftIds]) {
            let changes = try row.get(4, as: String.self)
            suggestions[try row.get(9, as: String.self), default: []].append(DraftSuggestion(
                number: try row.get(0), baseText: try row.get(1), text: try row.get(2), model: try row.get(3),
                changes: try JSONDecoder().decode([TextChange].self, from: Data(changes.utf8)),
                state: DraftSuggestion.State(rawValue: try row.get(5)) ?? .pending, createdAt: JobRow.date(try row.get(6)),
                decidedAt: JobRow.optionalDate(try row.get(7)), decidedBy: try row.get(8)
            ))
        }
        return suggestions
    }
}
