import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Logging
import ServiceLifecycle

/// Runs `action` at start and then every `interval` until shutdown; a failure is logged and
/// the next round tries again.
struct PeriodicService: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let action: @Sendable () async throws -> Void

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await action()
            } catch {
                logger.error("\(name) failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}

extension EarshotServer {
    /// The watched folder's scanner, when one is configured.
    static func watchers(
        store: any Store, media: MediaStore, decoder: AudioDecoder, signal: WorkSignal, configuration: ServerConfiguration, logger: Logger
    ) -> [any Service] {
        guard !configuration.watchDirectory.isEmpty else { return [] }
        let watcher = FolderWatcher(
            folder: URL(fileURLWithPath: configuration.watchDirectory, isDirectory: true).standardizedFileURL, store: store, media: media,
            decoder: decoder, signal: signal, configuration: configuration, logger: logger
        )
        logger.notice("watching a folder", metadata: ["folder": "\(watcher.folder.path)"])
        return [PeriodicService(name: "folder watch", interval: .milliseconds(Int64(configuration.watchIntervalSeconds * 1000)), logger: logger) {
            try await watcher.scan()
        }]
    }

    static func feedPoller(store: any Store, intake: JobIntake) -> FeedPoller {
        FeedPoller(store: store, intake: intake, downloader: intake.downloader, logger: Logger(label: "earshot.feeds"))
    }

    /// Looks for feeds due for a poll every `feed_check_seconds`.
    static func feedPolling(store: any Store, intake: JobIntake, configuration: ServerConfiguration, logger: Logger) -> any Service {
        let poller = feedPoller(store: store, intake: intake)
        return PeriodicService(name: "feed polling", interval: .milliseconds(Int64(configuration.feedCheckSeconds * 1000)), logger: logger) {
            await poller.pollDue()
        }
    }

    /// The server's periodic chores.
    static func housekeeping(store: any Store, signal: WorkSignal, configuration: ServerConfiguration, logger: Logger) -> [any Service] {
        [
            // Re-queues jobs whose lease expired (a crashed or partitioned worker), so their state is
            // right in the API even when no worker is claiming.
            PeriodicService(name: "lease sweep", interval: .milliseconds(Int64(configuration.leaseSeconds * 500)), logger: logger) {
                let reclaimed = try await store.reclaimExpiredLeases(now: Date())
                if !reclaimed.isEmpty {
                    logger.warning("reclaimed expired leases", metadata: ["jobs": "\(reclaimed.map(\.rawValue))"])
                    signal.notify()
                }
            },
            // Turns silence into node.offline events, on the transition only.
            PeriodicService(
                name: "node presence", interval: .milliseconds(Int64(configuration.nodeHeartbeatIntervalSeconds * 1000)), logger: logger
            ) {
                let silent = try await store.markSilentNodesOffline(
                    silentSince: Date().addingTimeInterval(-configuration.nodeHeartbeatTimeoutSeconds), now: Date()
                )
                if !silent.isEmpty { logger.notice("nodes went offline", metadata: ["node_ids": "\(silent)"]) }
            },
            // Keeps the event log within its retention; subscribers further behind get a resync.
            PeriodicService(name: "event pruning", interval: .seconds(600), logger: logger) {
                let pruned = try await store.pruneEvents(
                    olderThan: Date().addingTimeInterval(-configuration.eventRetentionDays * 86_400),
                    keepingAtMost: configuration.eventRetentionMaxEvents
                )
                if pruned > 0 { logger.info("pruned old events", metadata: ["count": "\(pruned)"]) }
            },
        ]
    }
}
