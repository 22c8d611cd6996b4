import EarshotCore
import EarshotStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Owns the runners of this server's stream sources: starts the enabled ones when the server
/// starts, starts and stops them on request, and at shutdown stops them all, storing what each
/// had heard, before the live engine goes away.
final class StreamManager: Service, Sendable {
    private let store: any Store
    /// nil on a server without a live engine: streams can be configured but not run.
    private let finisher: DraftFinisher?
    private let logger: Logger
    private let runners = Mutex<[String: (runner: StreamRunner, task: Task<Void, Never>)]>([:])
    /// The last status of streams stopped since the server started, so their counts stay visible.
    private let stopped = Mutex<[String: StreamStatus]>([:])

    init(store: any Store, finisher: DraftFinisher?, logger: Logger) {
        self.store = store
        self.finisher = finisher
        self.logger = logger
    }

    var canRun: Bool { finisher != nil }

    func run() async throws {
        do {
            for source in try await store.streams() where source.enabled {
                start(source)
            }
        } catch {
            logger.error("could not load the stream sources", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
        await stopAll()
    }

    /// The runtime status of a stream: its runner's, or how its last run here ended.
    func status(of id: String) -> StreamStatus {
        runners.withLock { $0[id]?.runner.status } ?? stopped.withLock { $0[id] } ?? StreamStatus()
    }

    /// Starts the stream's runner unless one runs already.
    func start(_ source: StreamSource) {
        guard let finisher else { return }
        runners.withLock { runners in
            guard runners[source.id] == nil else { return }
            let runner = StreamRunner(source: source, finisher: finisher, logger: logger)
            let task = Task { await runner.run() }
            runners[source.id] = (runner, task)
        }
        logger.notice("stream started", metadata: ["stream": "\(source.name)", "url": "\(source.maskedURL)"])
    }

    /// Forgets a deleted stream.
    func forget(_ id: String) {
        stopped.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// Stops the stream's runner and waits until its last utterance is stored.
    func stop(_ id: String) async {
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
