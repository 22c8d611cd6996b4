import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func addSuggestion(_ draftId: String, baseText: String, text: String, model: String, now: Date) async throws -> Draft {
        let changes = TextDiff.changes(from: baseText, to: text)
        let encoded = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        return try await pool.write { db in
            let draft = try Self.requireDraft(db, draftId)
            guard !changes.isEmpty else { return draft }
            let number = (draft.suggestions.last?.number ?? 0) + 1
            try db.executeCached(sql: """
                INSERT INTO draft_suggestions (draft_id, number, base_text, text, model, changes, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)
                """, arguments: [draftId, number, baseText, text, model, encoded, now.timeIntervalSince1970])
            try SQLiteEvents.append(db, NewEvent(
                type: .draftSuggested, correlationId: draft.sessionId, source: "llm:\(model)",
                data: .draft(DraftEventData(draftId: draftId, sessionId: draft.sessionId, text: text))
            ), now: now)
            return try Self.requireDraft(db, draftId)
        }
    }

    public func applySuggestion(
        _ draftId: String, number: Int, changes chosen: [Int]?, source: RevisionSource, author: String?, now: Date
    ) async throws -> Draft {
        try await pool.write { db in
            let suggestion = try Self.pendingSuggestion(db, draftId, number)
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
            try Self.decide(db, draftId, number, state: .applied, by: author, now: now)
            return try Self.insertDraftRevision(db, draftId, text: text, source: source, author: author, now: now)
        }
    }

    public func dismissSuggestion(_ draftId: String, number: Int, by author: String?, now: Date) async throws -> Draft {
        try await pool.write { db in
            _ = try Self.pendingSuggestion(db, draftId, number)
            try Self.decide(db, draftId, number, state: .dismissed, by: author, now: now)
            return try Self.requireDraft(db, draftId)
        }
    }

    private static func pendingSuggestion(_ db: Database, _ draftId: String, _ number: Int) throws -> DraftSuggestion {
        let draft = try requireDraft(db, draftId)
        guard let suggestion = draft.suggestions.first(where: { $0.number == number }) else { throw StoreError.suggestionNotFound(draftId, number) }
        guard suggestion.state == .pending else { throw StoreError.suggestionDecided(draftId, number) }
        return suggestion
    }

    private static func decide(_ db: Database, _ draftId: String, _ number: Int, state: DraftSuggestion.State, by author: String?, now: Date) throws {
        try db.executeCached(sql: """
            UPDATE draft_suggestions SET state = ?, decided_at = ?, decided_by = ? WHERE draft_id = ? AND number = ?
            """, arguments: [state.rawValue, now.timeIntervalSince1970, author, draftId, number])
    }

    static func suggestions(_ db: Database, of draftId: String) throws -> [DraftSuggestion] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM draft_suggestions WHERE draft_id = ? ORDER BY number"), arguments: [draftId]).map { row in
            let changes: String = row["changes"]
            return DraftSuggestion(
                number: row["number"], baseText: row["base_text"], text: row["text"], model: row["model"],
                changes: try JSONDecoder().decode([TextChange].self, from: Data(changes.utf8)),
                state: DraftSuggestion.State(rawValue: row["state"]) ?? .pending, createdAt: JobRow.date(row["created_at"]),
                decidedAt: JobRow.optionalDate(row["decided_at"]), decidedBy: row["decided_by"]
            )
        }
    }
}
