import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Logging

/// How a whisper.cpp recognizer runs.
public struct WhisperCppConfiguration: Sendable, Hashable {
    public var models: WhisperCppModels
    /// Loaded by ``WhisperCppRecognizer/prepare()``.
    public var defaultModel: String
    /// CPU threads for each run.
    public var threads: Int

    public init(models: WhisperCppModels, defaultModel: String = "tiny.en", threads: Int = 2) {
        self.models = models
        self.defaultModel = defaultModel
        self.threads = max(1, threads)
    }
}

/// Whisper through whisper.cpp, in this process: no Python and no child process.
///
/// Models are loaded once per process and shared; each recognizer decodes with its own state, one request at
/// a time (requests to a busy recognizer wait their turn), on a thread of its own so the blocking C call never
/// holds a Swift concurrency thread.
public actor WhisperCppRecognizer: SpeechRecognizer {
    public nonisolated let engineName = "whisper.cpp"
    public nonisolated let configuration: WhisperCppConfiguration
    let logger: Logger

    private var states: [String: WhisperCppState] = [:]
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false

    public init(configuration: WhisperCppConfiguration, logger: Logger = Logger(label: "earshot.engine")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func prepare() async throws {
        _ = try await state(for: configuration.defaultModel)
        logger.info("engine ready", metadata: ["engine": "whisper.cpp", "model": "\(configuration.defaultModel)"])
    }

    public func isReady() async -> Bool { !stopped && states[configuration.defaultModel] != nil }

    public nonisolated func recognize(_ request: RecognitionRequest) -> AsyncThrowingStream<RecognitionEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RecognitionEvent.self, throwing: (any Error).self)
        let cancellation = WhisperCppRun.Cancellation()
        let task = Task { await self.run(request, continuation: continuation, cancellation: cancellation) }
        continuation.onTermination = { termination in
            guard case .cancelled = termination else { return }
            cancellation.cancel()
            task.cancel()
        }
        return stream
    }

    public func shutdown() async {
        stopped = true
        states = [:]
    }

    private func run(
        _ request: RecognitionRequest, continuation: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation,
        cancellation: WhisperCppRun.Cancellation
    ) async {
        await takeTurn()
        defer { endTurn() }
        do {
            guard !stopped else { throw RecognitionError.unavailable("the engine was shut down") }
            try Task.checkCancellation()
            let state = try await state(for: request.options.model)
            let samples = try Self.readSamples(request.audio)
            try Task.checkCancellation()
            try await WhisperCppRun.start(
                state: state, samples: samples, options: request.options, threads: configuration.threads,
                continuation: continuation, cancellation: cancellation
            )
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }

    private func state(for model: String) async throws -> WhisperCppState {
        if let state = states[model] { return state }
        let models = configuration.models
        let file: URL
        do {
            // Converting a model reads and writes up to a few hundred MB: off this actor's thread.
            file = try await Task.detached { try models.ensure(model) }.value
        } catch let error as ModelConversionError {
            throw RecognitionError.modelNotFound("\(model): \(error)")
        }
        let context: WhisperCppContext
        do {
            context = try await WhisperCppContextCache.shared.context(path: file.path)
        } catch {
            throw RecognitionError.modelNotFound("\(model): \(error)")
        }
        guard let state = WhisperCppState(context: context) else {
            throw RecognitionError.engine("whisper.cpp could not allocate a decoding state for \(model)")
        }
        states[model] = state
        return state
    }

    private func takeTurn() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func endTurn() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    static func readSamples(_ audio: DecodedAudio) throws -> [Float] {
        guard let samples = audio.loadSamples() else {
            throw RecognitionError.badAudio("cannot read decoded audio at \(audio.url.path)")
        }
        return samples
    }
}
