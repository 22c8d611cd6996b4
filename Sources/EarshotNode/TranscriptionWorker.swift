import EarshotAudio
import EarshotClient
import EarshotCore
import EarshotEngine
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// A worker slot: claims a job, keeps its lease alive while the engine runs, and reports the
/// result. The server's built-in workers and remote nodes both run this, differing only in their
/// ``WorkSource``.
///
/// On graceful shutdown it stops claiming, lets the running job finish for up to
/// ``WorkerConfiguration/shutdownGrace``, then stops the engine and releases the lease so the job
/// is re-queued at once instead of waiting for the lease to expire.
public final class TranscriptionWorker: Service, Sendable {
    let configuration: WorkerConfiguration
    let source: any WorkSource
    let runner: JobRunner
    let logger: Logger
    let shutdown = ShutdownSignal()
    private let runningJob = SharedValue<JobID?>(nil)
    /// The running job with its live progress, for status displays.
    private let runningDetails = SharedValue<RunningJob?>(nil)
    private let audioSeconds = FloatingPointCounter(label: "earshot_audio_seconds_processed_total")
    private let jobDuration = Timer(label: "earshot_job_duration_seconds", preferredDisplayUnit: .seconds)

    /// - Parameter diarizer: finds speakers for jobs that ask; without one, give the source
    ///   `canDiarize: false` so such jobs go to other workers.
    public init(
        configuration: WorkerConfiguration, source: any WorkSource, recognizer: any SpeechRecognizer, diarizer: (any SpeakerDiarizing)? = nil,
        decoder: AudioDecoder = AudioDecoder(), logger: Logger = Logger(label: "earshot.worker")
    ) {
        self.configuration = configuration
        self.source = source
        self.runner = JobRunner(
            source: source, recognizer: recognizer, diarizer: diarizer, decoder: decoder, scratchDirectory: configuration.scratchDirectory
        )
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.holder)"
        self.logger = logger
    }

    /// The job this slot is working on, if any; a node reports these in its heartbeats.
    public var currentJobID: JobID? { runningJob.get() }

    /// The job this slot is working on, if any, as it was claimed (file name, model, options).
    public var currentJob: Job? { runningDetails.get()?.job }

    /// The running job's progress (fraction 0...1), if any; read live from the engine loop.
    public var currentProgress: Double? { runningDetails.get()?.progress.get().fraction }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            self.shutdown.trigger()
            Task { await self.source.wake() }
        }
    }

    /// Runs outside a service group (the CLI) until ``stop()``.
    public func runUntilStopped() async {
        await loop()
    }

    /// Stops claiming; a running job gets the shutdown grace period, then is released.
    public func stop() async {
        shutdown.trigger()
        await source.wake()
    }

    private func loop() async {
        logger.info("worker started")
        // A job taken along with the last delivery (``WorkSource/complete(_:transcript:thenClaimFor:)``).
        var next: ClaimedJob?
        while !shutdown.isTriggered {
            let claimed: ClaimedJob?
            if let taken = next {
                claimed = taken
                next = nil
            } else {
                do {
                    claimed = try await source.claim(holder: configuration.holder)
                } catch {
                    logger.error("claim failed", metadata: ["error": "\(error)"])
                    await source.waitForWork(timeout: configuration.idleCheckInterval)
                    continue
                }
            }
            guard let claimed else {
                await source.waitForWork(timeout: configuration.idleCheckInterval)
                continue
            }
            next = await process(claimed)
        }
        if let next {
            // Taken with the last delivery as shutdown began: back to the queue at once.
            do {
                try await source.release(next.lease)
                logger.info("job taken with the last delivery released for shutdown", metadata: ["job_id": "\(next.job.id)"])
            } catch {
                logger.warning("could not release the lease; it will expire", metadata: ["job_id": "\(next.job.id)", "error": "\(error)"])
            }
        }
        logger.info("worker stopped")
    }

    /// Pairs the claimed job with the box its engine loop writes progress to.
    private struct RunningJob: Sendable {
        let job: Job
        let progress: ProgressBox
    }

    private enum StopReason: Sendable {
        case leaseLost(LeaseLoss)
        case shutdown
    }

    private enum Branch: Sendable {
        case finished(Result<Transcript, any Error>)
        case stop(StopReason)
    }

    /// Runs one job with its lease kept alive; returns once the job's outcome is reported, with
    /// the next job when the source took one along with the delivery.
    func process(_ claimed: ClaimedJob) async -> ClaimedJob? {
        var logger = logger
        logger[metadataKey: "job_id"] = "\(claimed.job.id)"
        logger.info("job claimed", metadata: ["attempt": "\(claimed.lease.attempt)"])
        runningJob.set(claimed.job.id)
        defer { runningJob.set(nil) }
        let started = ContinuousClock.now
        let progress = ProgressBox(JobProgress())
        runningDetails.set(RunningJob(job: claimed.job, progress: progress))
        defer { runningDetails.set(nil) }
        let latestLease = LeaseBox(claimed.lease)

        let outcome: Branch = await withTaskGroup(of: Branch.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await self.runner.transcribe(claimed, progress: progress)))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask { await self.keepLeaseAlive(latestLease, progress: progress) }
            group.addTask { await self.stopAfterShutdownGrace() }
            var first: Branch?
            for await branch in group {
                if first == nil { first = branch }
                group.cancelAll()
            }
            return first!
        }

        let lease = latestLease.get()
        switch outcome {
        case .finished(.success(let transcript)):
            do {
                let next: ClaimedJob?
                if shutdown.isTriggered {
                    // Stopping: deliver only, so no job is taken just to be handed back.
                    try await source.complete(lease, transcript: transcript)
                    next = nil
                } else {
                    next = try await source.complete(lease, transcript: transcript, thenClaimFor: configuration.holder)
                }
                audioSeconds.increment(by: transcript.durationSeconds)
                jobDuration.record(duration: ContinuousClock.now - started)
                logger.info("job succeeded", metadata: ["segments": "\(transcript.segments.count)", "audio_seconds": "\(transcript.durationSeconds)"])
                return next
            } catch {
                logger.warning("could not report success", metadata: ["error": "\(error)"])
            }
        case .finished(.failure(let lost as LeaseLostError)):
            // A remote source learns of a lost lease from any call (the media download, say);
            // reporting a failure on a lease that is gone would only be refused.
            logger.info("job stopped: lease lost", metadata: ["reason": "\(lost.loss.rawValue)"])
        case .finished(.failure(let error)):
            await reportFailure(error, lease: lease, logger: logger)
        case .stop(.leaseLost(let loss)):
            logger.info("job stopped: lease lost", metadata: ["reason": "\(loss.rawValue)"])
        case .stop(.shutdown):
            do {
                _ = try await source.release(lease)
                logger.info("job released for shutdown")
            } catch {
                logger.warning("could not release the lease; it will expire", metadata: ["error": "\(error)"])
            }
        }
        return nil
    }

    private func reportFailure(_ error: any Error, lease: Lease, logger: Logger) async {
        let (jobError, retryable) = Self.classify(error)
        logger.warning("job attempt failed", metadata: ["code": "\(jobError.code)", "message": "\(jobError.message)"])
        do {
            try await source.fail(lease, error: jobError, retryable: retryable)
        } catch {
            logger.warning("could not report failure", metadata: ["error": "\(error)"])
        }
    }

    static func classify(_ error: any Error) -> (JobError, retryable: Bool) {
        switch error {
        case let error as AudioError:
            switch error {
            case .unsupportedMedia(let reason): return (.unsupportedMedia(reason), false)
            case .toolUnavailable(let reason): return (JobError(code: "decoder_unavailable", message: reason), true)
            }
        case let error as RecognitionError:
            switch error {
            case .modelNotFound(let message): return (JobError(code: "model_not_found", message: message), false)
            case .badAudio(let message): return (.unsupportedMedia(message), false)
            default: return (.engine(error.description), error.isRetryable)
            }
        case let error as JobError:
            return (error, false)
        case let error as MediaDownloadError:
            // A bad or broken transfer; the next attempt downloads afresh.
            return (JobError(code: "media_download_failed", message: error.description), true)
        default:
            return (.engine("\(error)"), true)
        }
    }

    /// Renews the lease every heartbeat interval with the latest progress and the segments the
    /// server has not acknowledged yet (a failed call resends them). Ends with `.stop` when the
    /// lease is lost (cancelled job or stale token), or when cancelled because the job ended.
    private func keepLeaseAlive(_ lease: LeaseBox, progress: ProgressBox) async -> Branch {
        var acknowledged = 0
        while true {
            do {
                try await Task.sleep(for: configuration.heartbeatInterval)
            } catch {
                return .stop(.shutdown)  // cancelled: the job finished first, this value is ignored
            }
            do {
                let current = progress.get()
                let fresh = current.segments.dropFirst(acknowledged)
                let partial = fresh.isEmpty ? nil : PartialSegments(firstIndex: acknowledged, segments: Array(fresh))
                lease.set(try await source.heartbeat(lease.get(), progress: current.fraction, partial: partial))
                acknowledged = current.segments.count
            } catch let lost as LeaseLostError {
                return .stop(.leaseLost(lost.loss))
            } catch {
                if Task.isCancelled { return .stop(.shutdown) }
                logger.warning("heartbeat failed; will retry", metadata: ["error": "\(error)"])
                if lease.get().expiresAt < Date() { return .stop(.leaseLost(.stale)) }
            }
        }
    }

    /// Waits for a shutdown request, then for the grace period, then ends the job's run.
    private func stopAfterShutdownGrace() async -> Branch {
        await shutdown.wait()
        try? await Task.sleep(for: configuration.shutdownGrace)
        return .stop(.shutdown)
    }
}
