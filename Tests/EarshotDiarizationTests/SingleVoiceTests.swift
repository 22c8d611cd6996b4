import EarshotDiarizationEvaluation
import EarshotDiarization
import Foundation
import Testing

/// One voice alone must come out as one speaker.
///
/// Only the LibriVox reader is a single recording session. The other pocketsphinx voices are a few
/// seconds each from different sessions (their clips are only 0.74–0.86 alike, as alike as two
/// different people); 11 s of them come out as 3–4 speakers, which is why a job can say
/// `max_speakers: 1`.
struct SingleVoiceTests {
    @Test func oneReaderIsOneSpeaker() async throws {
        let voice = try #require(PocketsphinxConversation.voices.first { $0.name == "librivox" })
        let heldOut = try #require(PocketsphinxConversation.heldOut.first)
        var samples: [Float] = []
        for clip in voice.clips + [heldOut] {
            samples += try PocketsphinxConversation.audio(clip)
            samples += [Float](repeating: 0, count: 8_000)
        }
        let result = try await TestData.diarize(samples)
        #expect(result.speakers.count == 1)
        #expect(result.turns.allSatisfy { $0.speaker == 0 })
    }

    @Test func aCountOfOneIsHonouredForShortMixedRecordings() async throws {
        let voice = try #require(PocketsphinxConversation.voices.first { $0.name == "cards" })
        var samples: [Float] = []
        for clip in voice.clips + ["cards/005.wav"] {
            samples += try PocketsphinxConversation.audio(clip)
            samples += [Float](repeating: 0, count: 8_000)
        }
        let result = try await TestData.diarize(samples, speakers: .init(maximum: 1))
        #expect(result.speakers.count == 1)
    }
}
