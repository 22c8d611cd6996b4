import EarshotCore
import Foundation
import Testing

/// The tracker's rules on hand-made voices: unit vectors whose cosines are chosen.
struct StreamSpeakerTrackerRulesTests {
    /// A unit vector at `degrees` from the first axis, in the plane of the first two axes.
    static func voice(_ degrees: Double) -> [Float] {
        let radians = degrees * .pi / 180
        return [Float(cos(radians)), Float(sin(radians)), 0, 0]
    }

    @Test("a new voice gets the next Speaker N; a like one (cos ≥ 0.80) joins it; an unlike one does not")
    func newAndKnownVoices() {
        var tracker = StreamSpeakerTracker()
        #expect(tracker.speaker(of: Self.voice(0), seconds: 3, enrolled: []) == "Speaker 1")
        #expect(tracker.speaker(of: Self.voice(30), seconds: 3, enrolled: []) == "Speaker 1")  // cos 30° = 0.87
        #expect(tracker.speaker(of: Self.voice(90), seconds: 3, enrolled: []) == "Speaker 2")
        #expect(tracker.speaker(of: Self.voice(85), seconds: 3, enrolled: []) == "Speaker 2")
        #expect(tracker.voices.map(\.label) == ["Speaker 1", "Speaker 2"])
        // The first voice's centroid moved halfway towards 30°.
        let centroid = tracker.voices[0].centroid
        #expect(abs(Double(atan2(centroid[1], centroid[0])) * 180 / .pi - 15) < 0.01)
    }

    @Test("a short utterance joins a voice it matches but never starts one")
    func shortUtterances() {
        var tracker = StreamSpeakerTracker()
        #expect(tracker.speaker(of: Self.voice(0), seconds: 0.6, enrolled: []) == nil)
        #expect(tracker.voices.isEmpty)
        #expect(tracker.speaker(of: Self.voice(0), seconds: 2, enrolled: []) == "Speaker 1")
        #expect(tracker.speaker(of: Self.voice(10), seconds: 0.6, enrolled: []) == "Speaker 1")
        #expect(tracker.speaker(of: Self.voice(90), seconds: 0.6, enrolled: []) == nil)
    }

    @Test("an utterance alike an enrolled voice takes its name, and so do the like utterances after it")
    func enrolledByUtterance() {
        let ann = EnrolledSpeaker(name: "Ann", embedding: Self.voice(0), source: nil, createdAt: Date())
        var tracker = StreamSpeakerTracker()
        #expect(tracker.speaker(of: Self.voice(5), seconds: 2, enrolled: [ann]) == "Ann")  // cos 5° = 0.996
        #expect(tracker.speaker(of: Self.voice(33), seconds: 2, enrolled: [ann]) == "Ann")  // 0.84 to Ann, 0.89 to her stream voice
        #expect(tracker.speaker(of: Self.voice(90), seconds: 2, enrolled: [ann]) == "Speaker 1")
        #expect(tracker.voices.map(\.enrolledId) == [ann.id, nil])
    }

    @Test("a stream voice first heard unnamed is linked once an utterance or its centroid is alike an enrolled voice")
    func linkedLater() {
        let ann = EnrolledSpeaker(name: "Ann", embedding: Self.voice(0), source: nil, createdAt: Date())
        var byUtterance = StreamSpeakerTracker()
        #expect(byUtterance.speaker(of: Self.voice(30), seconds: 2, enrolled: [ann]) == "Speaker 1")  // 0.87 < 0.90
        #expect(byUtterance.speaker(of: Self.voice(10), seconds: 2, enrolled: [ann]) == "Ann")
        #expect(byUtterance.voices.count == 1 && byUtterance.voices[0].label == "Ann")

        // 26° from Ann in two directions at right angles: each 0.899 alike her (short of 0.90) and
        // 0.81 alike each other (one voice); their mean is 0.95 alike her.
        let angle = 26 * Double.pi / 180
        let first: [Float] = [Float(cos(angle)), Float(sin(angle)), 0, 0]
        let second: [Float] = [Float(cos(angle)), 0, Float(sin(angle)), 0]
        var byCentroid = StreamSpeakerTracker()
        #expect(byCentroid.speaker(of: first, seconds: 2, enrolled: [ann]) == "Speaker 1")
        #expect(byCentroid.speaker(of: second, seconds: 2, enrolled: [ann]) == "Ann")
        #expect(byCentroid.voices.count == 1 && byCentroid.voices[0].enrolledId == ann.id)
    }

    @Test("two stream voices never take the same enrolled name")
    func oneVoicePerEnrolledSpeaker() {
        let ann = EnrolledSpeaker(name: "Ann", embedding: Self.voice(0), source: nil, createdAt: Date())
        var tracker = StreamSpeakerTracker()
        #expect(tracker.speaker(of: Self.voice(0), seconds: 2, enrolled: [ann]) == "Ann")
        #expect(tracker.speaker(of: Self.voice(40), seconds: 2, enrolled: [ann]) == "Speaker 1")
        // 22°: nearer Speaker 1 (0.95) than Ann's stream voice (0.93), but alike Ann herself (0.93):
        // it is hers, and Speaker 1 is not renamed.
        #expect(tracker.speaker(of: Self.voice(22), seconds: 2, enrolled: [ann]) == "Ann")
        #expect(tracker.voices.map(\.label) == ["Ann", "Speaker 1"])
        #expect(tracker.voices.filter { $0.enrolledId == ann.id }.count == 1)
    }

    @Test("a voice linked to an enrolled speaker after its first utterances says which label it renamed, and its number goes to the next new voice")
    func renameOnLink() {
        let ann = EnrolledSpeaker(name: "Ann", embedding: Self.voice(0), source: nil, createdAt: Date())
        var tracker = StreamSpeakerTracker()
        #expect(tracker.label(of: Self.voice(30), seconds: 2, enrolled: [ann]) == .init(speaker: "Speaker 1"))  // 0.87 < 0.90
        #expect(tracker.label(of: Self.voice(120), seconds: 2, enrolled: [ann]) == .init(speaker: "Speaker 2"))
        #expect(tracker.label(of: Self.voice(10), seconds: 2, enrolled: [ann]) == .init(speaker: "Ann", renamedFrom: "Speaker 1"))
        #expect(tracker.label(of: Self.voice(12), seconds: 2, enrolled: [ann]) == .init(speaker: "Ann"), "renamed once only")
        // A new voice takes the lowest free number: "Speaker 1" is no one's now.
        #expect(tracker.label(of: Self.voice(-90), seconds: 2, enrolled: [ann]) == .init(speaker: "Speaker 1"))
        #expect(tracker.voices.map(\.label) == ["Ann", "Speaker 2", "Speaker 1"])

        // Linked by the centroid (see linkedLater): the rename is reported too.
        let angle = 26 * Double.pi / 180
        var byCentroid = StreamSpeakerTracker()
        _ = byCentroid.label(of: [Float(cos(angle)), Float(sin(angle)), 0, 0], seconds: 2, enrolled: [ann])
        #expect(byCentroid.label(of: [Float(cos(angle)), 0, Float(sin(angle)), 0], seconds: 2, enrolled: [ann]) == .init(speaker: "Ann", renamedFrom: "Speaker 1"))

        // A voice named from its first utterance renames nothing.
        var named = StreamSpeakerTracker()
        #expect(named.label(of: Self.voice(2), seconds: 2, enrolled: [ann]) == .init(speaker: "Ann"))
    }
}
