/// The shapes of names and codes clients choose, checked the same way wherever they are given.
public enum InputRules {
    /// A node's, a stream's or a live session's name: 1-64 letters, digits, '-', '_' or '.'.
    public static func isName(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }

    /// A language tag as live sessions and streams take it: `en`, `pt-BR`.
    public static func isLanguageTag(_ text: String) -> Bool {
        (2...8).contains(text.count) && text.allSatisfy { $0.isLetter || $0 == "-" }
    }
}
