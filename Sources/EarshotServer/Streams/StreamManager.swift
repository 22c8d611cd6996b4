import EarshotCore
import EarshotEngine
import EarshotStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Owns the runners of the stream sources. One replica runs them all: the one holding the
/// `streams` role (with SQLite, the only server). It runs what the store says is enabled,
/// re-reading it every couple of seconds and whenever this replica's API changes it, so a stream
/// started or stopped through another replica follows within that time. At shutdown, or when the
/// role is lost, it stops them all, storing what each had heard, before the live engine goes away.
final class StreamManager: Sendable {
    private let store: any Store
    /// nil on a server without a live engine: streams can be configured but not run.
    private let finisher: DraftFinisher?
    /// The speaker model streams that label speakers use; nil where none is installed.
    private let speakerModel: (any SpeakerDiarizing)?
    private let enrolledThreshold: Double
    private let logger: Logger
    private let runners = Mutex<[String: (runner: StreamRunner, task: Task<Void, Never>)]>([:])
    /// The last status of streams stopped since the server started, so their counts stay visible.
    private let stopped = Mutex<[String: StreamStatus]>([:])
    private let leading = Mutex(false)
    /// How often the leader re-reads the configured streams.
    static let reconcileInterval: Duration = .seconds(2)

    init(
        store: any Store, finisher: DraftFinisher?, speakerModel: (any SpeakerDiarizing)? = nil,
        enrolledThreshold: Double = SpeakerRecognition.defaultThreshold, logger: Logger
    ) {
        self.store = store
        self.finisher = finisher
        self.speakerModel = speakerModel
        self.enrolledThreshold = enrolledThreshold
        self.logger = logger
    }

    var canRun: Bool { finisher != nil }
    /// Whether streams here can label speakers (the speaker model is installed).
    var canLabelSpeakers: Bool { speakerModel != nil }

    /// The service that runs the streams on whichever replica leads.
    var service: any Service { ReplicaSingleton(role: "streams", store: store, inner: Leader(manager: self)) }

    private struct Leader: Service {
        let manager: StreamManager
        func run() async throws { await manager.lead() }
    }

    /// Runs the configured streams until graceful shutdown (or cancellation, when the role is lost).
    private func lead() async {
        leading.withLock { $0 = true }
        logger.notice("running this deployment's stream sources")
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await reconcile()
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.reconcileInterval) }
        }
        leading.withLock { $0 = false }
        await stopAll()
    }

    /// Starts enabled streams that do not run, stops running ones that are disabled or gone.
    private func reconcile() async {
        let sources: [StreamSource]
        do {
            sources = try await store.streams()
        } catch {
            logger.error("could not load the stream sources", metadata: ["error": "\(error)"])
            return
        }
        let enabled = Dictionary(uniqueKeysWithValues: sources.filter(\.enabled).map { ($0.id, $0) })
        let running = runners.withLock { Set($0.keys) }
        for source in enabled.values where !running.contains(source.id) { start(source) }
        for id in running where enabled[id] == nil { await stop(id) }
    }

    /// Applies a change this replica's API made to the stored configuration, at once when this
    /// replica runs the streams (the leader picks it up on its next pass otherwise).
    func configurationChanged() async {
        if leading.withLock({ $0 }) { await reconcile() }
    }

    /// The runtime status of a stream: its runner's here, how its last run here ended, or — on a
    /// replica that does not run streams — what the runner last recorded in the event log.
    func status(of source: StreamSource) async -> StreamStatus {
        if let local = runners.withLock({ $0[source.id]?.runner.status }) ?? stopped.withLock({ $0[source.id] }) { return local }
        guard !leading.withLock({ $0 }),
              let event = try? await store.latestEvent(type: .streamStateChanged, correlationId: source.sessionId),
              case .stream(let data) = event.data
        else { return StreamStatus() }
        var status = StreamStatus()
        status.state = data.state
        status.restarts = data.restarts
        status.lastError = data.message
        status.retryAt = data.retryInSeconds.map { event.time.addingTimeInterval($0) }
        return status
    }

    /// Starts the stream's runner unless one runs already.
    private func start(_ source: StreamSource) {
        guard let finisher else { return }
        let started = runners.withLock { runners -> Bool in
            guard runners[source.id] == nil else { return false }
            let runner = StreamRunner(source: source, finisher: finisher, speakers: speakerLabels(for: source), logger: logger)
            let task = Task { await runner.run() }
            runners[source.id] = (runner, task)
            return true
        }
        if started { logger.notice("stream started", metadata: ["stream": "\(source.name)", "url": "\(source.maskedURL)"]) }
    }

    /// A labeller for a stream that asks for one. A stream configured on a replica that has the
    /// speaker model runs unlabelled here, with a warning, rather than not at all.
    private func speakerLabels(for source: StreamSource) -> StreamSpeakerLabels? {
        guard source.diarize else { return nil }
        guard let speakerModel else {
            logger.warning("the stream asks for speaker labels but this server has no speaker model", metadata: ["stream": "\(source.name)"])
            return nil
        }
        var logger = logger
        logger[metadataKey: "stream"] = "\(source.name)"
        return StreamSpeakerLabels(model: speakerModel, store: store, enrolledThreshold: enrolledThreshold, logger: logger)
    }

    /// Forgets a deleted stream.
    func forget(_ id: String) {
        stopped.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// Stops the stream's runner and waits until its last utterance is stored.
    private func stop(_ id: String) async {
        guard let entry = runners.withLock({ $0.removeValue(forKey: id) }) else { return }
        await entry.runner.stop()
        await entry.task.value
        let last = entry.runner.status
        stopped.withLock { $0[id] = last }
        logger.notice("stream stopped", metadata: ["stream": "\(entry.runner.source.name)"])
    }

    private func stopAll() async {
        let ids = runners.withLock { Array($0.keys) }
        await withTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { await self.stop(id) } }
        }
    }
}
