import EarshotDiarizationEvaluation
@testable import EarshotDiarization
import Foundation
import Testing

/// The Swift front end and encoder against values the numpy prototype (scripts/diarization/prototype/encoder.py, itself
/// checked against Resemblyzer + torch + librosa) produced for the same clip
/// (scripts/diarization/prototype/make_fixtures.py → Fixtures/encoder-reference.json).
struct EncoderEquivalenceTests {
    struct Reference: Decodable {
        var clip: String
        var samples: Int
        var melFrameCount: Int
        var melFrames: [Int]
        var mel: [[Float]]
        var wholeClipEmbedding: [Float]
        var windowStarts: [Int]
        var windowLengths: [Int]
        var windowEmbeddings: [[Float]]
    }

    let reference: Reference
    let audio: [Float]

    init() throws {
        reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: TestData.fixture("encoder-reference.json")))
        audio = AudioFrames.levelNormalized(try TestData.audio(reference.clip))
    }

    @Test func melSpectrogramMatchesNumpy() throws {
        #expect(audio.count == reference.samples)
        let mel = MelSpectrogram(samples: audio, frames: reference.melFrames)
        #expect(mel.frameCount == reference.melFrameCount)
        var worst = 0.0
        for (frame, expected) in zip(reference.melFrames, reference.mel) {
            let row = try #require(mel.row(frame))
            // Relative to the frame's largest band: float32 DFT rounding differs between methods.
            let scale = Double(expected.max() ?? 0) + 1e-12
            for (value, wanted) in zip(row, expected) {
                worst = max(worst, abs(Double(value) - Double(wanted)) / scale)
            }
        }
        print("mel spot check: max error \(worst) of the frame peak over \(reference.melFrames.count) frames")
        #expect(worst < 1e-4)
    }

    @Test func wholeClipEmbeddingMatchesNumpy() throws {
        let encoder = VoiceEncoder(weights: try TestData.weights.get())
        let mel = MelSpectrogram(samples: audio)
        let embedding = encoder.embed(mel, windows: [EmbeddingWindow(start: 0, length: mel.frameCount)])
        let similarity = cosine(embedding, reference.wholeClipEmbedding)
        print("whole-clip embedding (\(mel.frameCount) steps): cosine to numpy \(similarity)")
        #expect(similarity >= 0.9999)
    }

    @Test func batchedWindowEmbeddingsMatchNumpy() throws {
        let encoder = VoiceEncoder(weights: try TestData.weights.get())
        let windows = zip(reference.windowStarts, reference.windowLengths).map {
            EmbeddingWindow(start: $0, length: $1)
        }
        let mel = MelSpectrogram(samples: audio, frames: Diarizer.frames(of: windows))
        let embeddings = EmbeddingMatrix(values: encoder.embed(mel, windows: windows), width: 256)
        var lowest = 1.0
        for (index, expected) in reference.windowEmbeddings.enumerated() {
            lowest = min(lowest, cosine(Array(embeddings.row(index)), expected))
        }
        print("variable-length batch of \(windows.count) windows: lowest cosine to numpy \(lowest)")
        #expect(lowest >= 0.9999)
    }
}
