import EarshotCore
import Foundation
import Testing

@Suite("Revision ranking")
struct RevisionRankingTests {
    static func revision(_ number: Int, _ source: RevisionSource) -> Revision {
        Revision(number: number, text: "\(source.rawValue) \(number)", source: source, createdAt: Date(timeIntervalSince1970: Double(number)))
    }

    @Test("HUMAN > LLM > WHISPER_REPROCESS > UNKNOWN whatever order the revisions came in")
    func everyOrdering() {
        #expect(RevisionSource.allCases.sorted(by: >) == [.human, .llm, .whisperReprocess, .unknown])
        for order in permutations(RevisionSource.allCases) {
            let revisions = order.enumerated().map { Self.revision($0.offset + 1, $0.element) }
            #expect(Revision.winner(of: revisions)?.source == .human, "order \(order)")
            // Without the human one, the next rank wins, and so on down.
            #expect(Revision.winner(of: revisions.filter { $0.source != .human })?.source == .llm)
            #expect(Revision.winner(of: revisions.filter { $0.source < .llm })?.source == .whisperReprocess)
        }
    }

    @Test("within one rank the latest wins; none means no winner")
    func latestWithinRank() {
        let revisions = [Self.revision(1, .human), Self.revision(2, .llm), Self.revision(3, .human), Self.revision(4, .llm)]
        #expect(Revision.winner(of: revisions)?.number == 3)
        #expect(Revision.winner(of: revisions.reversed())?.number == 3, "the number decides, not the position")
        #expect(Revision.winner(of: []) == nil)
    }

    private func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }
}
