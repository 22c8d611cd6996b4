import EarshotAudio
import EarshotCore
import Foundation
import Logging
import Metrics

/// faster-whisper in a long-lived Python process that this actor supervises: the model is loaded
/// once and kept warm, a crashed process is restarted with backoff, and requests that were in
/// flight when it died fail with a retryable error.
public actor FasterWhisperRecognizer: SpeechRecognizer {
    public nonisolated let engineName = "faster-whisper"
    let configuration: FasterWhisperConfiguration
    let logger: Logger
    private let restarts = Counter(label: "earshot_engine_restarts_total", dimensions: [("engine", "faster-whisper")])

    private var worker: WorkerProcess?
    /// Identifies the current process so output from a dead one is ignored.
    private var generation = 0
    private var ready = false
    private var lastFatal: String?
    private var startWaiters: [CheckedContinuation<Void, any Error>] = []
    private var pending: [String: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation] = [:]
    private var failuresInARow = 0
    private var restartScheduled = false
    private var stopped = false

    public init(configuration: FasterWhisperConfiguration, logger: Logger = Logger(label: "earshot.engine")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func prepare() async throws {
        try await ensureStarted()
    }

    public func isReady() async -> Bool { ready && worker != nil }

    public nonisolated func recognize(_ request: RecognitionRequest) -> AsyncThrowingStream<RecognitionEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RecognitionEvent.self, throwing: (any Error).self)
        let id = UUID().uuidString.lowercased()
        let submission = Task { await self.submit(request, id: id, continuation: continuation) }
        continuation.onTermination = { termination in
            guard case .cancelled = termination else { return }
            submission.cancel()
            Task { await self.cancelRequest(id) }
        }
        return stream
    }

    public func shutdown() async {
        stopped = true
        guard let worker else { return }
        try? worker.send(EngineProtocol.encode(EngineProtocol.ShutdownRequest()))
        await worker.stop(grace: .seconds(5))
    }

    // MARK: - Requests

    private func submit(_ request: RecognitionRequest, id: String, continuation: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation) async {
        do {
            try await ensureStarted()
            try Task.checkCancellation()
            pending[id] = continuation
            var message = EngineProtocol.TranscribeRequest(
                id: id, audio: request.audio.url.path, model: request.options.model, language: request.options.language,
                beamSize: request.options.beamSize, wordTimestamps: request.options.wordTimestamps,
                initialPrompt: request.options.prompt, temperature: request.options.temperature
            )
            if case .fitted(let provisional) = request.window {
                message.fitWindow = true
                message.provisional = provisional
            }
            do {
                try worker?.send(EngineProtocol.encode(message))
            } catch {
                pending[id] = nil
                continuation.finish(throwing: RecognitionError.engine("could not send the request to the engine: \(error)"))
            }
        } catch {
            continuation.finish(throwing: error)
        }
    }

    /// Asks the worker to stop a run whose consumer went away.
    private func cancelRequest(_ id: String) {
        guard pending.removeValue(forKey: id) != nil else { return }
        try? worker?.send(EngineProtocol.encode(EngineProtocol.CancelRequest(id: id)))
    }

    // MARK: - Process supervision

    private func ensureStarted() async throws {
        if ready, worker != nil { return }
        if stopped { throw RecognitionError.unavailable("the engine was shut down") }
        if worker == nil, !restartScheduled { try launch() }
        try await withCheckedThrowingContinuation { startWaiters.append($0) }
    }

    private func launch() throws {
        generation += 1
        let current = generation
        lastFatal = nil
        try FileManager.default.createDirectory(at: configuration.modelsDirectory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["PYTHONUNBUFFERED"] = "1"
        let process: WorkerProcess
        do {
            process = try WorkerProcess(
                executable: configuration.python,
                arguments: [
                    configuration.script.path, "--models-dir", configuration.modelsDirectory.path,
                    "--threads", String(configuration.threads), "--compute-type", configuration.computeType,
                    "--preload", configuration.defaultModel,
                ],
                environment: environment, logger: logger
            )
        } catch {
            throw RecognitionError.unavailable("could not start \(configuration.python): \(error)")
        }
        worker = process
        logger.info("engine starting", metadata: ["pid": "\(process.processIdentifier)", "model": "\(configuration.defaultModel)"])
        Task { [output = process.output] in
            for await event in output { self.handle(event, generation: current) }
        }
    }

    private func handle(_ event: WorkerProcess.Output, generation eventGeneration: Int) {
        guard eventGeneration == generation else { return }
        switch event {
        case .line(let line): handle(line: line)
        case .closed: workerExited()
        }
    }

    private func handle(line: String) {
        guard let reply = try? EngineProtocol.decode(line) else {
            logger.warning("engine printed a line that is not protocol JSON", metadata: ["line": "\(line.prefix(200))"])
            return
        }
        switch reply.type {
        case "ready":
            ready = true
            logger.info("engine ready", metadata: ["model": "\(configuration.defaultModel)"])
            let waiters = startWaiters
            startWaiters = []
            waiters.forEach { $0.resume() }
        case "fatal":
            lastFatal = reply.message
            logger.error("engine failed to start", metadata: ["reason": "\(reply.message ?? "")"])
        case "info":
            guard let id = reply.id, let continuation = pending[id] else { return }
            continuation.yield(.info(language: reply.language ?? "", durationSeconds: reply.duration ?? 0))
        case "segment":
            guard let id = reply.id, let continuation = pending[id] else { return }
            let segment = Segment(
                start: reply.start ?? 0, end: reply.end ?? 0, text: reply.text ?? "", avgLogprob: reply.avgLogprob,
                noSpeechProb: reply.noSpeechProb, words: reply.words
            )
            continuation.yield(.segment(segment, progress: reply.progress ?? 0))
        case "done":
            guard let id = reply.id, let continuation = pending.removeValue(forKey: id) else { return }
            failuresInARow = 0
            continuation.finish()
        case "error":
            guard let id = reply.id, let continuation = pending.removeValue(forKey: id) else {
                logger.warning("engine error outside a request", metadata: ["message": "\(reply.message ?? "")"])
                return
            }
            let message = reply.message ?? "unknown error"
            switch reply.code {
            case "cancelled": continuation.finish(throwing: CancellationError())
            case "model_not_found": continuation.finish(throwing: RecognitionError.modelNotFound(message))
            case "bad_audio": continuation.finish(throwing: RecognitionError.badAudio(message))
            default: continuation.finish(throwing: RecognitionError.engine(message))
            }
        default:
            break
        }
    }

    private func workerExited() {
        let reason = lastFatal ?? "the engine process exited"
        worker?.kill()
        worker = nil
        ready = false
        let inFlight = pending
        pending = [:]
        inFlight.values.forEach { $0.finish(throwing: RecognitionError.engine(reason)) }
        let waiters = startWaiters
        startWaiters = []
        waiters.forEach { $0.resume(throwing: RecognitionError.unavailable(reason)) }
        guard !stopped else { return }
        let backoff = configuration.restartBackoff
        let delay = backoff.isEmpty ? 1 : backoff[min(failuresInARow, backoff.count - 1)]
        failuresInARow += 1
        restartScheduled = true
        logger.error("engine exited; restarting", metadata: ["reason": "\(reason)", "in_seconds": "\(delay)"])
        Task {
            try? await Task.sleep(for: .seconds(delay))
            self.restart()
        }
    }

    private func restart() {
        restartScheduled = false
        guard !stopped, worker == nil else { return }
        restarts.increment()
        do {
            try launch()
        } catch {
            logger.error("engine restart failed", metadata: ["error": "\(error)"])
            workerExited()
        }
    }
}
