import EarshotCore
import EarshotDiarizationEvaluation
import Foundation
import Testing

/// Live streams label each utterance as it ends (``StreamSpeakerTracker``); these run the tracker
/// on real voices' embeddings.
///
/// Measured on these clips (1 s-window means): the same voice 0.74–0.95, different voices
/// 0.60–0.82, which is why the same-voice threshold is 0.80 and a voice is matched by its growing
/// centroid rather than by its first utterance.
struct StreamSpeakerTrackerTests {
    static func labels(enrolled: [EnrolledSpeaker]) async throws -> [(voice: String, label: String?)] {
        var tracker = StreamSpeakerTracker()
        var labels: [(String, String?)] = []
        for utterance in try PocketsphinxConversation.clipsInTurn() {
            let embedding = try await TestData.embedding(of: utterance.samples)
            labels.append((utterance.voice, tracker.speaker(of: embedding, seconds: Double(utterance.samples.count) / 16_000, enrolled: enrolled)))
        }
        return labels
    }

    @Test("utterances of three voices in turn: three stream speakers, each utterance its voice's")
    func threeVoicesInTurn() async throws {
        let labels = try await Self.labels(enrolled: [])
        let byVoice = Dictionary(grouping: labels, by: \.voice).mapValues { Set($0.map(\.label)) }
        #expect(byVoice.values.allSatisfy { $0.count == 1 }, "\(labels)")
        #expect(Set(labels.compactMap(\.label)) == ["Speaker 1", "Speaker 2", "Speaker 3"], "\(labels)")
    }

    @Test("an enrolled reader is named on the stream; the other voices stay Speaker N")
    func enrolledVoiceIsNamed() async throws {
        let heldOut = try PocketsphinxConversation.audio(PocketsphinxConversation.heldOut[0])
        let marianne = EnrolledSpeaker(name: "Marianne", embedding: try await TestData.embedding(of: heldOut), source: nil, createdAt: Date())
        let labels = try await Self.labels(enrolled: [marianne])
        #expect(labels.filter { $0.voice == "librivox" }.allSatisfy { $0.label == "Marianne" }, "\(labels)")
        let others = labels.filter { $0.voice != "librivox" }
        #expect(Set(others.map(\.label)) == ["Speaker 1", "Speaker 2"], "\(labels)")
        #expect(Dictionary(grouping: others, by: \.voice).values.allSatisfy { Set($0.map(\.label)).count == 1 }, "\(labels)")
    }
}
