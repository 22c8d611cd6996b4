import EarshotAudio
import EarshotCore
import EarshotEngine
import EarshotWhisperCpp
import Foundation
import Testing

/// The whisper.cpp engine on real speech, measured against faster-whisper on the same audio and model.
@Suite("whisper.cpp engine", .serialized)
struct WhisperCppEngineTests {
    /// Converted models are kept between runs (conversion is deterministic and checked by the converter tests).
    static let models = WhisperCppModels(
        directory: TestEnvironment.packageRoot.appendingPathComponent(".build/test-models/ggml", isDirectory: true),
        packageDirectories: WhisperCppTestModels.packageDirectories
    )

    @Test("tiny.en and base: WER on the LibriVox clips within 1 point of faster-whisper's", .takesTurns, arguments: ["tiny.en", "base"])
    func werMatchesFasterWhisper(model: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-wer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clips = try await DecodedClips.librivox(in: directory)
        let options = TranscriptionOptions(model: model, beamSize: 5)

        let native = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, defaultModel: model, threads: 2))
        try await native.prepare()
        let python = FasterWhisperRecognizer(configuration: FasterWhisperConfiguration(
            python: TestEnvironment.python,
            modelsDirectory: TestEnvironment.packageRoot.appendingPathComponent(".build/test-models/ctranslate2", isDirectory: true),
            defaultModel: model, threads: 2
        ))
        defer { Task { await python.shutdown() } }
        try await python.prepare()

        var nativeErrors = 0, pythonErrors = 0, words = 0
        for clip in clips {
            let nativeRun = try await Recognition.collect(native, RecognitionRequest(audio: clip.audio, options: options))
            let pythonRun = try await Recognition.collect(python, RecognitionRequest(audio: clip.audio, options: options))
            // base is multilingual: the language is detected, not given.
            #expect(nativeRun.language == "en")
            let nativeScore = WordErrorRate.errors(reference: clip.reference, hypothesis: nativeRun.text)
            let pythonScore = WordErrorRate.errors(reference: clip.reference, hypothesis: pythonRun.text)
            nativeErrors += nativeScore.errors
            pythonErrors += pythonScore.errors
            words += nativeScore.words
            #expect(nativeRun.segments.allSatisfy { $0.start <= $0.end && $0.end <= clip.audio.durationSeconds + 0.5 })
        }
        let nativeWER = Double(nativeErrors) / Double(words)
        let pythonWER = Double(pythonErrors) / Double(words)
        #expect(nativeWER <= pythonWER + 0.01, "\(model): whisper.cpp WER \(nativeWER), faster-whisper \(pythonWER)")
        #expect(nativeWER <= 0.15, "\(model): whisper.cpp WER \(nativeWER)")
    }

    @Test("word timestamps: words in order, inside their segment, spelling the segment's text")
    func wordTimestamps() async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-words")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try await DecodedClips.librivox(in: directory)[0]
        let recognizer = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, threads: 2))
        let run = try await Recognition.collect(
            recognizer, RecognitionRequest(audio: clip.audio, options: TranscriptionOptions(model: "tiny.en", wordTimestamps: true))
        )
        #expect(!run.segments.isEmpty)
        for segment in run.segments {
            let words = try #require(segment.words)
            #expect(!words.isEmpty)
            #expect(words.map(\.text).joined().trimmingCharacters(in: .whitespaces) == segment.text.trimmingCharacters(in: .whitespaces))
            #expect(zip(words, words.dropFirst()).allSatisfy { $0.start <= $1.start })
            #expect(words.allSatisfy { $0.start >= segment.start - 0.05 && $0.end <= segment.end + 0.05 && ($0.probability ?? 0) > 0 })
        }
    }

    @Test("cancelling mid-file stops whisper.cpp promptly; the recognizer takes the next request at once", .takesTurns)
    func cancelReturnsPromptly() async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-cancel")
        defer { try? FileManager.default.removeItem(at: directory) }
        let long = try await AudioDecoder().decode(
            try await TestEnvironment.longRecording(times: 8, in: directory), to: directory.appendingPathComponent("long.f32")
        )  // ≈ 200 s of speech: many seconds of work on 2 cores
        let short = try await DecodedClips.librivox(in: directory)[1]
        let recognizer = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, threads: 2))
        try await recognizer.prepare()
        let options = TranscriptionOptions(model: "tiny.en", beamSize: 5)

        let firstSegment = AsyncStream.makeStream(of: Void.self)
        let consumer = Task {
            var segments = 0
            for try await event in recognizer.recognize(RecognitionRequest(audio: long, options: options)) {
                if case .segment = event {
                    segments += 1
                    firstSegment.continuation.yield()
                }
            }
            return segments
        }
        for await _ in firstSegment.stream { break }
        let cancelled = ContinuousClock.now
        consumer.cancel()
        let outcome = await consumer.result
        // The next request waits for the cancelled run to leave the recognizer: its answer bounds the stop.
        let next = try await Recognition.collect(recognizer, RecognitionRequest(audio: short.audio, options: options))
        let elapsed = ContinuousClock.now - cancelled
        // A cancelled consumer's loop just ends; the run stopped within its first 30 s window or two, not
        // after all ~40 segments of the file.
        let segmentsSeen = try outcome.get()
        #expect(segmentsSeen < 20, "\(segmentsSeen) segments arrived after cancelling")
        #expect(WordErrorRate.errors(reference: short.reference, hypothesis: next.text).errors <= 3)
        #expect(elapsed < .seconds(4), "stopping and then a 4 s clip took \(elapsed)")
    }

    @Test("two recognizers in one process, run at the same time, give each the text it gives alone", .takesTurns)
    func twoRecognizersDoNotInterfere() async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-two")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clips = try await DecodedClips.librivox(in: directory)
        let options = TranscriptionOptions(model: "tiny.en", beamSize: 1, temperature: 0)
        let first = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, threads: 1))
        let second = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, threads: 1))
        let aloneA = try await Recognition.collect(first, RecognitionRequest(audio: clips[0].audio, options: options)).text
        let aloneB = try await Recognition.collect(second, RecognitionRequest(audio: clips[2].audio, options: options)).text
        #expect(aloneA != aloneB)

        async let togetherA = Recognition.collect(first, RecognitionRequest(audio: clips[0].audio, options: options))
        async let togetherB = Recognition.collect(second, RecognitionRequest(audio: clips[2].audio, options: options))
        let (a, b) = try await (togetherA, togetherB)
        #expect(a.text == aloneA)
        #expect(b.text == aloneB)
    }

    @Test("an unknown model and unreadable audio fail with the engine's errors, and the recognizer keeps working")
    func badRequests() async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let recognizer = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: Self.models, threads: 2))
        let clip = try await DecodedClips.librivox(in: directory)[3]
        await #expect(throws: RecognitionError.self) {
            _ = try await Recognition.collect(recognizer, RecognitionRequest(audio: clip.audio, options: TranscriptionOptions(model: "huge-v9")))
        }
        let missing = DecodedAudio(url: directory.appendingPathComponent("none.f32"), sampleCount: 16000)
        await #expect(throws: RecognitionError.badAudio("cannot read decoded audio at \(missing.url.path)")) {
            _ = try await Recognition.collect(recognizer, RecognitionRequest(audio: missing, options: TranscriptionOptions(model: "tiny.en")))
        }
        await #expect(throws: RecognitionError.self) {
            _ = try await Recognition.collect(
                recognizer, RecognitionRequest(audio: clip.audio, options: TranscriptionOptions(model: "tiny.en", language: "de"))
            )
        }
        let run = try await Recognition.collect(recognizer, RecognitionRequest(audio: clip.audio, options: TranscriptionOptions(model: "tiny.en")))
        #expect(WordErrorRate.errors(reference: clip.reference, hypothesis: run.text).errors <= 3)
    }
}

/// The LibriVox clips decoded to the engines' input format.
enum DecodedClips {
    static func librivox(in directory: URL) async throws -> [(audio: DecodedAudio, reference: String)] {
        var clips: [(audio: DecodedAudio, reference: String)] = []
        for (index, clip) in try TestEnvironment.librivoxClips().enumerated() {
            let audio = try await AudioDecoder().decode(clip.url, to: directory.appendingPathComponent("clip-\(index).f32"))
            clips.append((audio, clip.reference))
        }
        return clips
    }
}

/// One recognition run, collected.
struct Recognition {
    var language = ""
    var segments: [Segment] = []
    var text: String { segments.map(\.text).joined(separator: " ") }

    static func collect(_ recognizer: some SpeechRecognizer, _ request: RecognitionRequest) async throws -> Recognition {
        var run = Recognition()
        for try await event in recognizer.recognize(request) {
            switch event {
            case .info(let language, _): run.language = language
            case .segment(let segment, _): run.segments.append(segment)
            }
        }
        return run
    }
}
