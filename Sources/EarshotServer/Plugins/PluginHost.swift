import EarshotCore
import EarshotStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// How a plugin is doing, for `GET /api/v1/plugins`.
public struct PluginStatus: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable {
        case starting, running, retrying, disabled
    }

    public var name: String
    public var state: State
    /// The seq of the last event it handled.
    public var cursor: Int64
    public var consecutiveFailures: Int
    public var lastError: String?
    /// A webhook's latest deliveries, newest last.
    public var deliveries: [WebhookDelivery]?
}

/// Runs plugins, each in its own task, so a throwing or slow one affects no other.
public final class PluginHost: Service, Sendable {
    public struct Policy: Sendable {
        /// Delays between retries of a failing `start` or `handle`.
        public var backoff: [Duration] = [.seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        /// Consecutive failures after which a plugin is disabled.
        public var maxConsecutiveFailures = 5
        /// A `handle` running longer than this counts as a failure.
        public var handleTimeout: Duration = .seconds(60)
        /// Events read from the log at a time.
        public var pageSize = 100

        public init() {}
    }

    let plugins: [any Plugin]
    let store: any Store
    let media: MediaStore
    let policy: Policy
    let logger: Logger
    private let statuses: Mutex<[String: PluginStatus]>

    public init(plugins: [any Plugin], store: any Store, media: MediaStore, policy: Policy = Policy(), logger: Logger) {
        self.plugins = plugins
        self.store = store
        self.media = media
        self.policy = policy
        self.logger = logger
        statuses = Mutex(Dictionary(uniqueKeysWithValues: plugins.map {
            ($0.name, PluginStatus(name: $0.name, state: .starting, cursor: 0, consecutiveFailures: 0))
        }))
    }

    /// Every plugin's status, by name.
    public var status: [PluginStatus] {
        let deliveries = Dictionary(uniqueKeysWithValues: plugins.compactMap { plugin in
            (plugin as? WebhookPlugin).map { (plugin.name, $0.deliveries) }
        })
        return statuses.withLock { $0.values.sorted { $0.name < $1.name } }.map { status in
            var status = status
            status.deliveries = deliveries[status.name]
            return status
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for plugin in plugins {
                group.addTask { await self.drive(plugin) }
            }
            // Stop every plugin at shutdown; its cursor keeps its place for the next start.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func drive(_ plugin: any Plugin) async {
        var logger = logger
        logger[metadataKey: "plugin"] = "\(plugin.name)"
        let context = PluginContext(store: store, media: media, logger: logger)
        do {
            try await attempt(plugin, logger: logger) { try await plugin.start() }
            var cursor: Int64
            if let saved = try await store.pluginCursor(plugin.name) {
                cursor = saved
            } else {
                // A new plugin starts with what happens from now on, not the whole history; saved at
                // once, so a restart before its first event loses nothing in between.
                cursor = try await store.latestEventSeq()
                try await store.setPluginCursor(plugin.name, seq: cursor)
            }
            update(plugin.name) { $0.state = .running; $0.cursor = cursor }
            // How far the log has been read: past events the plugin does not subscribe to too, so a
            // narrow subscription does not rescan them after every commit.
            var scanned = cursor
            var nextSweep = plugin.sweepInterval.map { _ in ContinuousClock.now }
            while !Task.isCancelled {
                if let due = nextSweep, let interval = plugin.sweepInterval, ContinuousClock.now >= due {
                    try await attempt(plugin, logger: logger) {
                        try await withTimeout(policy.handleTimeout) { try await plugin.sweep(context: context) }
                    }
                    nextSweep = ContinuousClock.now + interval
                }
                let observed = store.eventSignal.generation
                let head = try await store.latestEventSeq()
                let events = try await store.events(after: scanned, filter: plugin.subscription, correlationId: nil, limit: policy.pageSize)
                for event in events {
                    try await attempt(plugin, logger: logger) {
                        try await withTimeout(policy.handleTimeout) { try await plugin.handle(event, context: context) }
                    }
                    cursor = event.seq
                    try await store.setPluginCursor(plugin.name, seq: cursor)
                    update(plugin.name) { $0.cursor = cursor }
                }
                scanned = EventRoutes.scanned(upTo: scanned, page: events, limit: policy.pageSize, head: head)
                if events.count < policy.pageSize {
                    let untilSweep = nextSweep.map { ContinuousClock.now.duration(to: $0) } ?? .seconds(30)
                    await store.eventSignal.wait(timeout: max(.zero, min(.seconds(30), untilSweep)), unlessNotifiedSince: observed)
                }
            }
        } catch is CancellationError {
            return
        } catch let disabled as PluginDisabled {
            logger.error("plugin disabled", metadata: ["error": "\(disabled.reason)"])
            let message = "disabled after \(policy.maxConsecutiveFailures) consecutive failures: \(disabled.reason)"
            // The event first: whoever sees the state `disabled` finds the event that says why.
            _ = try? await store.appendEvent(
                NewEvent(type: .pluginFailed, source: "plugin:\(plugin.name)", data: .plugin(PluginEventData(plugin: plugin.name, message: message))),
                now: Date()
            )
            update(plugin.name) { $0.state = .disabled }
        } catch {
            logger.error("plugin stopped", metadata: ["error": "\(error)"])
            update(plugin.name) { $0.state = .disabled; $0.lastError = "\(error)" }
        }
    }

    /// Runs `body` until it succeeds, backing off between failures; throws ``PluginDisabled``
    /// once the plugin has failed `maxConsecutiveFailures` times in a row.
    private func attempt(_ plugin: any Plugin, logger: Logger, _ body: () async throws -> Void) async throws {
        while true {
            try Task.checkCancellation()
            do {
                try await body()
                update(plugin.name) { $0.consecutiveFailures = 0; if $0.state == .retrying { $0.state = .running } }
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let failures = update(plugin.name) { status in
                    status.consecutiveFailures += 1
                    status.lastError = "\(error)"
                    status.state = .retrying
                }.consecutiveFailures
                logger.warning("plugin failed", metadata: ["error": "\(error)", "consecutive_failures": "\(failures)"])
                if failures >= policy.maxConsecutiveFailures { throw PluginDisabled(reason: "\(error)") }
                try await Task.sleep(for: policy.backoff[min(failures - 1, policy.backoff.count - 1)])
            }
        }
    }

    @discardableResult
    private func update(_ name: String, _ change: (inout PluginStatus) -> Void) -> PluginStatus {
        statuses.withLock { statuses in
            var status = statuses[name] ?? PluginStatus(name: name, state: .starting, cursor: 0, consecutiveFailures: 0)
            change(&status)
            statuses[name] = status
            return status
        }
    }
}

/// `GET /api/v1/plugins`.
struct PluginList: Encodable {
    var plugins: [PluginStatus]
}

struct PluginDisabled: Error {
    var reason: String
}

/// Raised when a plugin's `handle` outlives its time limit.
struct PluginTimeout: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "did not finish within \(limit)" }
}

/// Runs `body`, cancelling it and throwing ``PluginTimeout`` after `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else { throw PluginTimeout(limit: limit) }
        return first
    }
}
