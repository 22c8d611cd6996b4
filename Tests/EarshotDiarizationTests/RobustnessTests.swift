@_spi(Evaluation) @testable import EarshotDiarization
import Foundation
import Testing

/// Bad input never crashes and gives no speaker or one.
struct RobustnessTests {
    static func noise(seconds: Double, level: Float, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<Int(seconds * 16_000)).map { _ in Float(random.nextUnit() * 2 - 1) * level }
    }

    @Test func emptyAudio() async throws {
        let diarizer = try TestData.diarizer()
        let empty = try await TestData.diarize([])
        #expect(empty == .empty)
        #expect(throws: DiarizationError.self) { try diarizer.embedding(of: []) }
    }

    @Test func tooShortAudio() async throws {
        let diarizer = try TestData.diarizer()
        let clip = Array(try TestData.audio("cards/001.wav").prefix(4_800))  // 0.3 s of speech
        let result = try await TestData.diarize(clip)
        #expect(result.speakers.count <= 1)
        #expect(throws: DiarizationError.self) { try diarizer.embedding(of: Array(clip.prefix(2_000))) }
        // 0.3 s is enough for an (unreliable) embedding; it must still be unit length.
        let embedding = try await TestData.embedding(of: clip)
        #expect(abs(cosine(embedding, embedding) - 1) < 1e-5)
        #expect(embedding.count == 256)
    }

    @Test func silence() async throws {
        let diarizer = try TestData.diarizer()
        let silent = try await TestData.diarize([Float](repeating: 0, count: 160_000))
        #expect(silent == .empty)
        #expect(throws: DiarizationError.self) { try diarizer.embedding(of: [Float](repeating: 0, count: 160_000)) }
        // Near-silence (a quiet noise floor) must not invent several speakers.
        let floor = try await TestData.diarize(Self.noise(seconds: 10, level: 1e-4, seed: 7))
        #expect(floor.speakers.count <= 1)
    }

    @Test func whiteNoise() async throws {
        let result = try await TestData.diarize(Self.noise(seconds: 10, level: 0.3, seed: 11))
        print("10 s white noise: \(result.speakers.count) speaker(s), \(result.turns.count) turn(s)")
        #expect(result.speakers.count <= 1)
        for (a, b) in zip(result.turns, result.turns.dropFirst()) { #expect(a.end <= b.start) }
    }

    @Test func nonFiniteSamples() async throws {
        let diarizer = try TestData.diarizer()
        var clip = try TestData.audio("librivox/sense_and_sensibility_01_austen_64kb-0870.wav")
        for i in stride(from: 0, to: clip.count, by: 997) { clip[i] = .nan }
        for i in stride(from: 500, to: clip.count, by: 1_511) { clip[i] = i % 2 == 0 ? .infinity : -.infinity }
        let result = try await TestData.diarize(clip)
        #expect(result.speakers.count == 1)
        #expect(result.speakers.allSatisfy { $0.centroid.allSatisfy { $0.isFinite } })
        let embedding = try await TestData.embedding(of: clip)
        #expect(embedding.allSatisfy { $0.isFinite })

        let allNaN = try await TestData.diarize([Float](repeating: .nan, count: 32_000))
        #expect(allNaN == .empty)
        #expect(throws: DiarizationError.self) { try diarizer.embedding(of: [Float](repeating: .nan, count: 32_000)) }
    }

    @Test func singleSpeakerClip() async throws {
        let clip = try TestData.audio("librivox/sense_and_sensibility_01_austen_64kb-0920.wav")
        let result = try await TestData.diarize(clip)
        #expect(result.speakers.count == 1)
        let speaker = try #require(result.speakers.first)
        #expect(speaker.index == 0)
        #expect(abs(cosine(speaker.centroid, speaker.centroid) - 1) < 1e-5)
        #expect(speaker.speechSeconds > 3 && speaker.speechSeconds <= Double(clip.count) / 16_000)
    }

    @Test func hintBoundsAreClamped() {
        #expect(SpeakerCountHint().resolvedRange == 1...8)
        #expect(SpeakerCountHint(minimum: 0, maximum: 50).resolvedRange == 1...20)
        #expect(SpeakerCountHint(minimum: 5, maximum: 3).resolvedRange == 3...3)
        #expect(SpeakerCountHint(maximum: -2).resolvedRange == 1...1)
    }
}
