import Foundation

/// A correction an LLM proposed for a draft: stored as changes a person approves (all or some)
/// or dismisses; never applied on its own.
public struct DraftSuggestion: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable {
        case pending, applied, dismissed
    }

    /// 1, 2, … within the draft.
    public var number: Int
    /// The draft's text the LLM saw; the changes apply to it.
    public var baseText: String
    /// The LLM's whole answer.
    public var text: String
    /// The model that answered.
    public var model: String
    public var changes: [TextChange]
    public var state: State
    public var createdAt: Date
    public var decidedAt: Date?
    public var decidedBy: String?

    public init(
        number: Int, baseText: String, text: String, model: String, changes: [TextChange], state: State, createdAt: Date,
        decidedAt: Date? = nil, decidedBy: String? = nil
    ) {
        self.number = number
        self.baseText = baseText
        self.text = text
        self.model = model
        self.changes = changes
        self.state = state
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
    }
}
