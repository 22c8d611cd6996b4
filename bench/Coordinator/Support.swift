import EarshotCore
import Foundation
import Logging
import Synchronization

/// The synthetic engine: returns the same one-segment transcript for every job, at once. It does
/// no transcription at all, so every figure measured with it is coordinator cost alone.
enum SyntheticEngine {
    static let label = "synthetic engine (fixed one-segment transcript, returned instantly; no audio is read)"

    static func transcript(for job: Job) -> Transcript {
        Transcript(
            jobID: job.id, title: job.media.filename, source: job.media.filename, language: "en", model: job.options.model,
            durationSeconds: 1.5, processingSeconds: 0, createdAt: Date(),
            segments: [Segment(start: 0, end: 1.5, text: "Synthetic transcript from the benchmark engine.")]
        )
    }

    /// A queued job as an upload would create it, minus the media bytes (never read here).
    static func newJob() -> NewJob {
        NewJob(
            options: TranscriptionOptions(model: "tiny.en"),
            media: MediaInfo(
                sha256: "0000000000000000000000000000000000000000000000000000000000000000", filename: "synthetic.wav",
                contentType: "audio/wav", sizeBytes: 48_044, durationSeconds: 1.5
            ),
            maxAttempts: 3
        )
    }
}

/// Timing of one measured phase, shared by the producer and every simulated node.
///
/// Enqueue instants are taken just *before* `createJob` runs (so the insert's own commit counts
/// towards the latency, and no claim can precede its enqueue instant); claim instants just after
/// the claim call returns to the node. All instants are `ContinuousClock` (monotonic).
final class PhaseTracker: Sendable {
    private struct State {
        var target = 0
        var enqueued: [JobID: ContinuousClock.Instant] = [:]
        var latencies: [Duration] = []
        var completed = 0
        var start: ContinuousClock.Instant?
        var end: ContinuousClock.Instant?
        var failure: (any Error)?
        var waiter: CheckedContinuation<Void, Never>?
        var finished: Bool { failure != nil || (target > 0 && completed >= target) }
    }

    private let state = Mutex<State>(State())

    /// Starts a phase of `target` jobs; earlier figures are dropped.
    func begin(target: Int) {
        state.withLock { $0 = State(target: target) }
    }

    func enqueued(_ id: JobID, at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.enqueued[id] = instant }
    }

    /// Marks the start of the timed window; jobs enqueued before it (the pre-fill) count as
    /// enqueued at this instant.
    func startClock() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        state.withLock { state in
            state.start = now
            for key in state.enqueued.keys { state.enqueued[key] = now }
        }
        return now
    }

    func claimed(_ id: JobID) {
        let now = ContinuousClock.now
        state.withLock { state in
            if let at = state.enqueued[id] { state.latencies.append(now - at) }
        }
    }

    func completed() {
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.completed += 1
            guard state.completed == state.target else { return nil }
            state.end = now
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func fail(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.failure == nil { state.failure = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once every job of the phase has completed (or a node failed).
    func waitUntilDone() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.finished { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    func result() -> PhaseResult {
        state.withLock { state in
            let elapsed = (state.end ?? .now) - (state.start ?? .now)
            return PhaseResult(jobs: state.completed, elapsed: elapsed, latencies: state.latencies.sorted())
        }
    }
}

struct PhaseResult: Sendable {
    var jobs: Int
    var elapsed: Duration
    /// Sorted ascending.
    var latencies: [Duration]

    var seconds: Double { elapsed.seconds }
    var cyclesPerSecond: Double { seconds > 0 ? Double(jobs) / seconds : 0 }

    /// Nearest-rank percentile, in milliseconds.
    func percentileMs(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let rank = max(1, Int((p / 100 * Double(latencies.count)).rounded(.up)))
        return latencies[min(rank, latencies.count) - 1].seconds * 1000
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// Accepts log calls at `level` like the server's real handler would, and drops them, so the
/// benchmark pays for building log records but not for terminal I/O.
struct DiscardingLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

/// "release" or "debug"; a debug build warns that its figures mean little (and no benchmark
/// writes docs/benchmarks.md from one).
func benchBuildConfiguration() -> String {
    #if DEBUG
    log("warning: debug build; figures are not representative and docs/benchmarks.md will not be written")
    return "debug"
    #else
    return "release"
    #endif
}
