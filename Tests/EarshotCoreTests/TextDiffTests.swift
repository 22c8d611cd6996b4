import EarshotCore
import Testing

@Suite("Word diff of suggestions")
struct TextDiffTests {
    @Test("changes are the spans between unchanged words; applying all gives the revised text, any subset a mix")
    func changesAndSubsets() {
        let original = "and mister john dashwood had then leisure to consider"
        let revised = "And Mr. John Dashwood had the leisure to consider it"
        let changes = TextDiff.changes(from: original, to: revised)
        #expect(changes == [
            TextChange(start: 0, end: 4, original: "and mister john dashwood", replacement: "And Mr. John Dashwood"),
            TextChange(start: 5, end: 6, original: "then", replacement: "the"),
            TextChange(start: 9, end: 9, original: "", replacement: "it"),
        ])
        #expect(TextDiff.apply(changes, to: original) == revised)
        #expect(TextDiff.apply([changes[1]], to: original) == "and mister john dashwood had the leisure to consider")
        #expect(TextDiff.apply([changes[0], changes[2]], to: original) == "And Mr. John Dashwood had then leisure to consider it")
        #expect(TextDiff.apply([], to: original) == original)
    }

    @Test("deletions, identical texts and empty texts")
    func edges() {
        #expect(TextDiff.changes(from: "a b c", to: "a b c").isEmpty)
        #expect(TextDiff.changes(from: "um so we go", to: "so we go") == [TextChange(start: 0, end: 1, original: "um", replacement: "")])
        #expect(TextDiff.changes(from: "", to: "hello") == [TextChange(start: 0, end: 0, original: "", replacement: "hello")])
        #expect(TextDiff.changes(from: "hello", to: "") == [TextChange(start: 0, end: 1, original: "hello", replacement: "")])
        #expect(TextDiff.apply(TextDiff.changes(from: "x  y\nz", to: "x z"), to: "x  y\nz") == "x z")
    }

    /// Found by the text-diff fuzzer: after a vertical tab, U+06D7 (a combining mark) starts a word;
    /// joined to the word before with a space, the space and the mark made one character, which
    /// counted as whitespace, and the word lost its mark.
    @Test("a word that starts with a combining mark keeps it through changes and their application")
    func combiningMarkAfterControl() {
        let original = "the cat sat on the mat"
        let revised = "the cat sat on a\u{0}\u{0B}\u{06D7}e mat"
        let applied = TextDiff.apply(TextDiff.changes(from: original, to: revised), to: original)
        #expect(TextDiff.words(applied) == TextDiff.words(revised), "\(applied.debugDescription)")
        #expect(TextDiff.words(revised).map(String.init) == ["the", "cat", "sat", "on", "a\u{0}", "\u{06D7}e", "mat"])
    }
}
