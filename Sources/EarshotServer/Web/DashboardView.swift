import EarshotCore
import Foundation

/// `/`: the queue at a glance; `dashboard.js` keeps it current from the event stream.
struct DashboardView {
    struct Count { var state: String; var count: Int }
    struct RunningJob { var id: String; var filename: String; var holder: String; var progress: Double; var percent: String }
    struct Worker { var name: String; var holder: String; var state: String; var jobId: String?; var jobLabel: String }

    var nav = NavState(dashboard: true)
    var counts: [Count]
    var running: [RunningJob]
    var hasRunning: Bool
    var workers: [Worker]
    var recent: [JobRowView]
    var latestSeq: Int64

    init(counts: [JobState: Int], running: [Job], builtinHolders: [String], nodes: [(node: Node, state: NodeState)], recent: [Job], latestSeq: Int64) {
        self.counts = JobState.allCases.map { Count(state: $0.rawValue, count: counts[$0] ?? 0) }
        self.running = running.map {
            RunningJob(
                id: $0.id.rawValue, filename: $0.media.filename, holder: $0.leaseHolder ?? "", progress: $0.progress,
                percent: WebFormat.percent($0.progress)
            )
        }
        hasRunning = !running.isEmpty
        let current = { (holder: String) in running.first { $0.leaseHolder == holder } }
        let builtin = builtinHolders.enumerated().map { index, holder in
            let job = current(holder)
            return Worker(
                name: "built-in worker \(index + 1)", holder: holder, state: job == nil ? "online" : "busy", jobId: job?.id.rawValue,
                jobLabel: job?.media.filename ?? ""
            )
        }
        let remote = nodes.map { entry in
            let job = current(entry.node.leaseHolder)
            return Worker(
                name: "node \(entry.node.name)", holder: entry.node.leaseHolder, state: entry.state.rawValue, jobId: job?.id.rawValue,
                jobLabel: job?.media.filename ?? ""
            )
        }
        workers = builtin + remote
        self.recent = recent.map(JobRowView.init)
        self.latestSeq = latestSeq
    }
}
