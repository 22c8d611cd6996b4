import EarshotCore
import Foundation

/// `/live`: stream sources and the latest drafts of every live session and stream.
struct LiveView {
    struct StreamRow {
        var id: String
        var name: String
        var url: String
        var state: String
        var enabled: Bool
        var restarts: Int
        var stalls: Int
        var lastError: String
        var sessionId: String
        /// Whether its drafts are labelled with their speakers.
        var diarize: Bool
    }

    var nav = NavState(live: true)
    var streams: [StreamRow]
    var drafts: [DraftRow]
    var session: String
    var filtered: Bool { !session.isEmpty }
    var nextPage: String?
    var latestSeq: Int64
    var fileSources: Bool
    /// Whether new streams may ask for speaker labels (the speaker model is installed).
    var canLabelSpeakers: Bool
}

/// A draft as a row of `/live`.
struct DraftRow {
    var id: String
    var created: String
    var createdISO: String
    var sessionId: String
    /// Who spoke it ("" when the stream does not label speakers).
    var speaker: String
    var text: String
    var state: String
    var revised: Bool
    /// Whether an LLM suggestion waits for a decision.
    var pending: Bool

    init(_ draft: Draft) {
        id = draft.id
        created = WebFormat.date(draft.createdAt)
        createdISO = WebFormat.iso(draft.createdAt)
        sessionId = draft.sessionId
        speaker = draft.speaker ?? ""
        text = draft.text
        state = draft.state.rawValue
        revised = !draft.revisions.isEmpty
        pending = draft.suggestions.contains { $0.state == .pending }
    }
}

/// `/drafts/{id}`: one utterance with its audio, revisions and the LLM's suggestions.
struct DraftPageView {
    struct RevisionRow {
        var number: Int
        var source: String
        var author: String
        var time: String
        var text: String
        var shown: Bool
    }

    /// A stretch of a suggestion's base text: unchanged words, or one change a person may pick.
    struct Piece {
        var plain: String?
        var change: Change?
    }

    struct Change {
        var index: Int
        var original: String
        var replacement: String
    }

    struct PendingSuggestion {
        var number: Int
        var model: String
        var time: String
        var pieces: [Piece]
    }

    struct DecidedSuggestion {
        var number: Int
        var state: String
        var model: String
        var decidedBy: String
        var text: String
    }

    var nav = NavState(live: true)
    var id: String
    var sessionId: String
    var created: String
    var duration: String
    var model: String
    var language: String
    var state: String
    /// Who spoke it, when the stream labels speakers.
    var speaker: String?
    var text: String
    var originalText: String
    var changed: Bool
    var hasAudio: Bool
    var revisions: [RevisionRow]
    var pending: [PendingSuggestion]
    var decided: [DecidedSuggestion]
    var latestSeq: Int64

    init(_ draft: Draft, latestSeq: Int64) {
        id = draft.id
        sessionId = draft.sessionId
        created = WebFormat.date(draft.createdAt)
        duration = WebFormat.duration(draft.durationSeconds)
        model = draft.model
        language = draft.language ?? "—"
        state = draft.state.rawValue
        speaker = draft.speaker
        text = draft.text
        originalText = draft.originalText ?? ""
        changed = draft.originalText.map { $0 != draft.text } ?? false
        hasAudio = draft.hasAudio
        let winner = Revision.winner(of: draft.revisions)?.number
        revisions = draft.revisions.reversed().map {
            RevisionRow(
                number: $0.number, source: $0.source.rawValue, author: $0.author ?? "—", time: WebFormat.date($0.createdAt), text: $0.text,
                shown: $0.number == winner
            )
        }
        pending = draft.suggestions.filter { $0.state == .pending }.map {
            PendingSuggestion(number: $0.number, model: $0.model, time: WebFormat.date($0.createdAt), pieces: Self.pieces($0))
        }
        decided = draft.suggestions.filter { $0.state != .pending }.map {
            DecidedSuggestion(number: $0.number, state: $0.state.rawValue, model: $0.model, decidedBy: $0.decidedBy ?? "—", text: $0.text)
        }
        self.latestSeq = latestSeq
    }

    /// The base text cut into unchanged stretches and changes, in reading order.
    static func pieces(_ suggestion: DraftSuggestion) -> [Piece] {
        let words = TextDiff.words(suggestion.baseText).map(String.init)
        var pieces: [Piece] = []
        var position = 0
        for (index, change) in suggestion.changes.enumerated().sorted(by: { $0.element.start < $1.element.start }) {
            guard change.start >= position, change.end <= words.count else { continue }
            if change.start > position { pieces.append(Piece(plain: words[position..<change.start].joined(separator: " "))) }
            pieces.append(Piece(change: Change(index: index, original: change.original, replacement: change.replacement)))
            position = change.end
        }
        if position < words.count { pieces.append(Piece(plain: words[position...].joined(separator: " "))) }
        return pieces
    }
}
