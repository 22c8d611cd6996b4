import EarshotCore
import EarshotStore
import Foundation
import Logging
import Metrics

/// `cleanup`: deletes the media of finished jobs once every job that uses the file has been
/// finished for longer than the retention period. Transcripts stay; only the audio goes.
///
/// A file is never deleted while in use: the store marks it removed only if, in the same
/// transaction, no job of that content is queued, running, or finished within the period (a
/// retry after that is refused with `media_removed`), and the file is then deleted only if no
/// upload of the same content holds a pin on it (see ``MediaStore``).
struct CleanupPlugin: Plugin {
    let name: String
    /// Seconds a finished job's media is kept (compared with stored finish times, which are dates).
    let retention: TimeInterval
    let interval: Duration

    private static let removedFiles = Counter(label: "earshot_media_files_removed_total")
    private static let removedBytes = Counter(label: "earshot_media_bytes_removed_total")

    /// Finished jobs: with no retention their media goes at once, without waiting for a sweep.
    var subscription: EventTypeFilter { EventTypeFilter(types: [.jobSucceeded, .jobFailed, .jobCancelled]) }
    var sweepInterval: Duration? { interval }

    func start() async throws {}

    func handle(_ event: Event, context: PluginContext) async throws {
        guard retention == 0, case .job(let data) = event.data else { return }
        guard let job = try? await context.store.job(data.jobId), job.state.isTerminal, job.media.removedAt == nil else { return }
        try await remove(job.media.sha256, finishedBefore: Date(), context: context)
    }

    func sweep(context: PluginContext) async throws {
        let cutoff = Date(timeIntervalSinceNow: -retention)
        // Each pass marks what it returns, so the next query starts past it.
        while true {
            let due = try await context.store.mediaDueForRemoval(finishedBefore: cutoff, limit: 100)
            for sha256 in due {
                try await remove(sha256, finishedBefore: cutoff, context: context)
            }
            if due.count < 100 { return }
        }
    }

    private func remove(_ sha256: String, finishedBefore cutoff: Date, context: PluginContext) async throws {
        guard try await context.store.markMediaRemoved(sha256, finishedBefore: cutoff, source: "plugin:\(name)", now: Date()) else { return }
        let url = context.media.url(for: sha256)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
        guard context.media.removeUnlessPinned(sha256) else { return }
        Self.removedFiles.increment()
        Self.removedBytes.increment(by: Int64(size))
        context.logger.info("media removed", metadata: ["sha256": "\(sha256)", "bytes": "\(size)"])
    }
}
