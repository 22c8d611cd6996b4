import EarshotAudio
import Foundation
import Testing

@Suite("Voice activity detection")
struct VoiceActivityDetectorTests {
    static let rate = 16_000

    static func tone(_ seconds: Double, amplitude: Float = 0.3) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { amplitude * sin(Float($0) * 2 * .pi * 220 / Float(rate)) }
    }

    static func quiet(_ seconds: Double) -> [Float] {
        // Low noise (about -70 dBFS), as a real line has, not digital silence.
        var generator = SystemRandomNumberGenerator()
        return (0..<Int(seconds * Double(rate))).map { _ in Float.random(in: -0.0005...0.0005, using: &generator) }
    }

    /// Runs the detector over `samples` in chunks of `chunk`, as a socket delivers them.
    static func utterances(_ samples: [Float], chunk: Int = 1234, configuration: VoiceActivityDetector.Configuration = .init()) -> [ClosedRange<Double>] {
        var detector = VoiceActivityDetector(configuration: configuration)
        var events: [VoiceActivityDetector.Event] = []
        var offset = 0
        while offset < samples.count {
            events += detector.process(Array(samples[offset..<min(offset + chunk, samples.count)]))
            offset += chunk
        }
        if let last = detector.flush() { events.append(last) }
        var ranges: [ClosedRange<Double>] = []
        var start: Int?
        for event in events {
            switch event {
            case .started(let sample): start = sample
            case .ended(let sample):
                if let begin = start { ranges.append(Double(begin) / Double(rate)...Double(sample) / Double(rate)) }
                start = nil
            }
        }
        return ranges
    }

    @Test("a pause closes an utterance; a short gap does not; pre-roll and the end are where the sound is")
    func pausesSplitUtterances() {
        let samples = Self.quiet(1) + Self.tone(1) + Self.quiet(1) + Self.tone(0.3) + Self.quiet(0.2) + Self.tone(0.3) + Self.quiet(1)
        let found = Self.utterances(samples)
        #expect(found.count == 2, "\(found)")
        guard found.count == 2 else { return }
        // Each utterance keeps the pre-roll before its first sound and the post-roll after its last.
        let (before, after) = (VoiceActivityDetector.Configuration().preRoll, VoiceActivityDetector.Configuration().postRoll)
        #expect(abs(found[0].lowerBound - (1.0 - before)) < 0.05 && abs(found[0].upperBound - (2.0 + after)) < 0.05, "\(found[0])")
        #expect(
            abs(found[1].lowerBound - (3.0 - before)) < 0.05 && abs(found[1].upperBound - (3.8 + after)) < 0.05,
            "the 0.2 s gap stays inside: \(found[1])"
        )
    }

    @Test("silence alone, and a click shorter than the minimum, are not speech; the stream's end flushes an utterance")
    func noiseAndFlush() {
        #expect(Self.utterances(Self.quiet(3)).isEmpty)
        #expect(Self.utterances(Self.quiet(1) + Self.tone(0.04) + Self.quiet(1)).isEmpty)
        let open = Self.utterances(Self.quiet(0.5) + Self.tone(1))
        #expect(open.count == 1 && abs(open[0].upperBound - 1.5) < 0.05, "flushed at the end: \(open)")
    }

    @Test("long speech is cut at the maximum utterance length and goes on")
    func maximumLength() {
        var configuration = VoiceActivityDetector.Configuration()
        configuration.maximumUtterance = 2
        let found = Self.utterances(Self.quiet(0.5) + Self.tone(5) + Self.quiet(1), configuration: configuration)
        #expect(found.count == 3, "\(found)")
        #expect(found.allSatisfy { $0.upperBound - $0.lowerBound <= 2.01 })
    }

    @Test("real speech: five LibriVox readings joined by a second of silence give utterances that never span a gap")
    func librivox() throws {
        let folder = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox")
        var samples: [Float] = []
        var gaps: [ClosedRange<Double>] = []
        for clip in ["0870", "0880", "0890", "0920", "0930"] {
            if !samples.isEmpty {
                let start = Double(samples.count) / Double(Self.rate)
                samples += [Float](repeating: 0, count: Self.rate)
                // Utterances reach into the gap by their post-roll and pre-roll, never across it.
                let configuration = VoiceActivityDetector.Configuration()
                gaps.append(start + configuration.postRoll + 0.05...start + 1 - configuration.preRoll - 0.05)
            }
            samples += try Self.wavSamples(folder.appendingPathComponent("sense_and_sensibility_01_austen_64kb-\(clip).wav"))
        }
        let found = Self.utterances(samples)
        #expect(found.count >= 5 && found.count <= 12, "\(found)")
        for gap in gaps {
            #expect(!found.contains { $0.overlaps(gap) }, "an utterance spans the silence at \(gap): \(found)")
        }
        let speech = found.reduce(0) { $0 + $1.upperBound - $1.lowerBound }
        #expect(speech > 20, "most of the 25 s of reading is speech: \(speech) s")
    }

    /// 16-bit PCM mono WAV at 16 kHz, as the test recordings are.
    static func wavSamples(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        guard let range = data.range(of: Data("data".utf8)) else { return [] }
        let body = data[(range.upperBound + 4)...]
        return stride(from: body.startIndex, to: body.endIndex - 1, by: 2).map { index in
            Float(Int16(bitPattern: UInt16(body[index]) | UInt16(body[index + 1]) << 8)) / 32768
        }
    }
}
