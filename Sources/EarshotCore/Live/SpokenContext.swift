/// The end of what a live session has said so far, given to the recognizer as its prompt for
/// the next utterance.
///
/// Voice activity detection cuts speech at every pause, so the recognizer would otherwise meet
/// each utterance cold, as the start of a recording. A whole-file run carries its previous text
/// from one window to the next; this gives the live path the same context (names, spelling,
/// the sentence it is in).
public struct SpokenContext: Sendable, Equatable {
    /// Whisper reads at most half its 448-token context as prompt; 200 characters (~45 tokens)
    /// gives a sentence of context without making every recognition decode a long prefix.
    public static let defaultLimit = 200

    public let limit: Int
    private var text = ""

    public init(limit: Int = SpokenContext.defaultLimit) {
        self.limit = max(1, limit)
    }

    /// The prompt for the next utterance; nil before anything was said.
    public var prompt: String? { text.isEmpty ? nil : text }

    /// Adds an utterance's final text, keeping the last `limit` characters cut at a word boundary.
    public mutating func append(_ utterance: String) {
        let words = utterance.split(whereSeparator: \.isWhitespace)
        guard !words.isEmpty else { return }
        let joined = (text.isEmpty ? "" : text + " ") + words.joined(separator: " ")
        guard joined.count > limit else {
            text = joined
            return
        }
        var tail = joined.suffix(limit)
        // A word cut in half would prompt a word that was never said.
        if joined[joined.index(before: tail.startIndex)] != " ", let space = tail.firstIndex(of: " ") {
            tail = tail[tail.index(after: space)...]
        }
        text = String(tail.drop(while: { $0 == " " }))
    }
}
