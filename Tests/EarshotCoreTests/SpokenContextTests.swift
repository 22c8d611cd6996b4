import EarshotCore
import Testing

@Suite("The spoken context a live session prompts with")
struct SpokenContextTests {
    @Test("nothing said yet gives no prompt; silence adds nothing")
    func emptyUntilSomethingIsSaid() {
        var context = SpokenContext()
        #expect(context.prompt == nil)
        context.append("   \n ")
        #expect(context.prompt == nil)
    }

    @Test("utterances join with single spaces, in order")
    func joinsUtterances() {
        var context = SpokenContext()
        context.append(" And Mr. John Dashwood ")
        context.append("had then\tleisure.")
        #expect(context.prompt == "And Mr. John Dashwood had then leisure.")
    }

    @Test("keeps only the end, never starting inside a word")
    func keepsTheEndAtAWordBoundary() {
        var context = SpokenContext(limit: 20)
        context.append("He was not an ill-disposed young man.")
        // The last 20 characters start inside "ill-disposed": that part goes.
        #expect(context.prompt == "young man.")
        #expect(context.prompt!.count <= 20)

        var exact = SpokenContext(limit: 10)
        exact.append("aaaa bbbbb cccc")
        // The 10 characters "bbbbb cccc" start at a word: kept whole.
        #expect(exact.prompt == "bbbbb cccc")
    }

    @Test("a single word longer than the limit keeps its end rather than nothing")
    func longWord() {
        var context = SpokenContext(limit: 5)
        context.append("supercalifragilistic")
        #expect(context.prompt == "istic")
    }

    @Test("the context slides as more is said")
    func slides() {
        var context = SpokenContext(limit: 30)
        for sentence in ["one two three.", "four five six.", "seven eight nine."] { context.append(sentence) }
        #expect(context.prompt == "five six. seven eight nine.")
    }
}
