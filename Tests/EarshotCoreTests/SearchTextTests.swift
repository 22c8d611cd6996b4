import EarshotCore
import Testing

@Suite("Search text")
struct SearchTextTests {
    @Test("queries reduce to words: operators and punctuation never reach the engine as syntax")
    func terms() throws {
        #expect(try SearchTerms(parsing: "  Bird, SANG!  bird ").words == ["bird", "sang"])
        #expect(try SearchTerms(parsing: #"NEAR("x" -y*) café"#).words == ["near", "x", "y", "café"])
        #expect(throws: SearchError.noWords) { try SearchTerms(parsing: #" "*-() "#) }
        #expect(throws: SearchError.tooManyWords) { try SearchTerms(parsing: (0..<17).map { "w\($0)" }.joined(separator: " ")) }
    }

    @Test("snippet markers split into parts; the HTML escapes everything and marks only matches")
    func snippets() {
        let parts = SnippetPart.parts(ofMarked: "…the \u{2}bird\u{3} <script>alert('x')</script> \u{2}sang\u{3}", open: "\u{2}", close: "\u{3}")
        #expect(parts == [
            SnippetPart(text: "…the ", match: false), SnippetPart(text: "bird", match: true),
            SnippetPart(text: " <script>alert('x')</script> ", match: false), SnippetPart(text: "sang", match: true),
        ])
        #expect(SnippetPart.html(parts) == "…the <mark>bird</mark> &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>sang</mark>")
        #expect(SnippetPart.html([SnippetPart(text: "<b>&\"", match: true)]) == "<mark>&lt;b&gt;&amp;&quot;</mark>")
    }
}
