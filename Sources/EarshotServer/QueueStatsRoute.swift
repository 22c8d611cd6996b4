import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `GET /api/v1/queue/stats`: counts by state and the last hour's throughput, for dashboards.
struct QueueStatsRoute: Sendable {
    let store: any Store
    /// Long-polling nodes wait on it for their turn.
    let signal: ChangeSignal

    func register(on group: RouterGroup<some RequestContext>) {
        group.get("queue/stats") { _, _ in
            let counts = try await store.stateCounts()
            let now = Date()
            let hour = try await store.throughput(since: now.addingTimeInterval(-3600))
            var stats = QueueStats(
                queued: counts[.queued] ?? 0, running: counts[.running] ?? 0, succeeded: counts[.succeeded] ?? 0,
                failed: counts[.failed] ?? 0, cancelled: counts[.cancelled] ?? 0,
                lastHour: QueueStats.Throughput(jobsSucceeded: hour.jobs, audioSeconds: hour.audioSeconds),
                waitingNodes: signal.turnWaiterCount
            )
            stats.hourlyAudioSeconds = try await store.hourlyThroughput(hours: 24, now: now)
            return try jsonResponse(stats)
        }
    }
}
