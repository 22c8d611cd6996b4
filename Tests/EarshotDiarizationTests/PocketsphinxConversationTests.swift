import EarshotDiarizationEvaluation
@testable import EarshotDiarization
import Foundation
import Testing

/// A three-speaker conversation assembled only from pocketsphinx-testdata voices (see
/// ``PocketsphinxConversation``): DER, speaker count, turn order, and enrollment against held-out clips.
@Suite struct PocketsphinxConversationTests {
    @Test func threeSpeakersWithLowErrorAndEnrollment() async throws {
        let conversation = try PocketsphinxConversation.make()
        let result = try await TestData.diarize(conversation.samples)
        let der = DiarizationErrorRate(reference: conversation.reference, result: result, collar: 0.25)
        let der0 = DiarizationErrorRate(reference: conversation.reference, result: result, collar: 0)
        let seconds = Double(conversation.samples.count) / 16_000
        print(String(format: "pocketsphinx conversation: %.1f s, %d turns; DER(c=.25) %.2f%%, DER(c=0) %.2f%% (miss %.2f fa %.2f conf %.2f s); speakers ref %d hyp %d",
                     seconds, conversation.reference.count, 100 * der.rate, 100 * der0.rate,
                     der0.missed, der0.falseAlarm, der0.confusion, der.referenceSpeakers, der.hypothesisSpeakers))
        #expect(result.speakers.count == 3)
        #expect(der.rate <= 0.15)

        // Turns are sorted and non-overlapping; speakers are numbered by first appearance.
        for (a, b) in zip(result.turns, result.turns.dropFirst()) { #expect(a.end <= b.start) }
        var seen: [Int] = []
        for turn in result.turns where !seen.contains(turn.speaker) { seen.append(turn.speaker) }
        #expect(seen == Array(result.speakers.indices))

        // Enrollment: each found speaker's centroid against the held-out clip of every voice.
        var heldOut: [[Float]] = []
        for clip in PocketsphinxConversation.heldOut {
            heldOut.append(try await TestData.embedding(of: try PocketsphinxConversation.audio(clip)))
        }
        let names = PocketsphinxConversation.voices.map(\.name)
        for (label, voice) in der.mapping.sorted(by: { $0.key < $1.key }) {
            guard let index = Int(label.dropFirst(3)) else { continue }
            let scores = heldOut.map { cosine(result.speakers[index].centroid, $0) }
            print("enrollment: \(voice) centroid vs held-out \(names.joined(separator: "/")): "
                  + scores.map { String(format: "%.3f", $0) }.joined(separator: " "))
        }
        let librivox = try #require(der.mapping.first { $0.value == "librivox" }.flatMap { Int($0.key.dropFirst(3)) })
        let scores = heldOut.map { cosine(result.speakers[librivox].centroid, $0) }
        #expect(scores[0] >= 0.90, "same speaker, held-out LibriVox clip")
        #expect(scores[1] < 0.90, "cards speaker")
        #expect(scores[2] < 0.90, "something.raw speaker")
    }

    /// Five minutes of 2–8 s turns: with the prototype's 3 s window spacing this came out as one
    /// speaker (DER 63 %).
    @Test func fiveMinutesOfShortTurns() async throws {
        let conversation = try PocketsphinxConversation.make(material: .cycled(seconds: 95))
        let result = try await TestData.diarize(conversation.samples)
        let der = DiarizationErrorRate(reference: conversation.reference, result: result, collar: 0.25)
        #expect(Double(conversation.samples.count) / 16_000 > 300)
        #expect(result.speakers.count == 3)
        #expect(der.rate <= 0.15, "DER \(der.rate)")
    }

    @Test func speakerCountHintBoundsTheCount() async throws {
        let conversation = try PocketsphinxConversation.make()
        let one = try await TestData.diarize(conversation.samples, speakers: .init(maximum: 1))
        #expect(one.speakers.count == 1)
        let two = try await TestData.diarize(conversation.samples, speakers: .init(minimum: 2, maximum: 2))
        #expect(two.speakers.count == 2)
    }
}
