import EarshotDiarization
import Testing

struct SpeakerAssignmentTests {
    let turns = [
        SpeakerTurn(start: 0, end: 2, speaker: 0),
        SpeakerTurn(start: 2.5, end: 4, speaker: 1),
        SpeakerTurn(start: 4, end: 5, speaker: 0),
        SpeakerTurn(start: 6, end: 7, speaker: 2),
    ]

    @Test func insideOneTurn() {
        #expect(SpeakerAssignment.speaker(for: 0.5, 1.5, in: turns) == 0)
        #expect(SpeakerAssignment.speaker(for: 6.1, 6.2, in: turns) == 2)
    }

    @Test func mostTimeWins() {
        #expect(SpeakerAssignment.speaker(for: 1.5, 3.5, in: turns) == 1)  // 0.5 s vs 1.0 s
        #expect(SpeakerAssignment.speaker(for: 3.5, 5.5, in: turns) == 0)  // 0.5 s vs 1.0 s
    }

    @Test func timeIsSummedPerSpeaker() {
        // Speaker 0: 0.2 + 1.0 = 1.2 s, speaker 1: 1.5 s, speaker 0 loses; extend to win.
        #expect(SpeakerAssignment.speaker(for: 1.8, 5, in: turns) == 1)
        #expect(SpeakerAssignment.speaker(for: 1.0, 5, in: turns) == 0)
    }

    @Test func tieGoesToTheEarlierTurn() {
        #expect(SpeakerAssignment.speaker(for: 1.5, 3.0, in: turns) == 0)  // 0.5 s each
        let reversed = Array(turns.reversed())
        #expect(SpeakerAssignment.speaker(for: 1.5, 3.0, in: reversed) == 0)
    }

    @Test func noOverlapIsNil() {
        #expect(SpeakerAssignment.speaker(for: 2.1, 2.4, in: turns) == nil)
        #expect(SpeakerAssignment.speaker(for: 8, 9, in: turns) == nil)
        #expect(SpeakerAssignment.speaker(for: 0, 1, in: []) == nil)
        #expect(SpeakerAssignment.speaker(for: .nan, 1, in: turns) == nil)
    }

    @Test func zeroLengthSpanTakesTheContainingTurn() {
        #expect(SpeakerAssignment.speaker(for: 4, 4, in: turns) == 0)
        #expect(SpeakerAssignment.speaker(for: 3, 3, in: turns) == 1)
        #expect(SpeakerAssignment.speaker(for: 5.5, 5.5, in: turns) == nil)
    }
}
