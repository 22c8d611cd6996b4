import EarshotCore
import EarshotStore
import Foundation

/// Work taken straight from the store in this process: the built-in worker's source.
public struct LocalWorkSource: WorkSource {
    let store: any Store
    let media: MediaStore
    let leaseSeconds: Double
    let signal: WorkSignal
    let canDiarize: Bool
    let speakerMatchThreshold: Double

    /// - Parameters:
    ///   - canDiarize: whether this process has the speaker model (else diarization jobs are left to nodes that do).
    ///   - speakerMatchThreshold: how alike a voice and an enrolled one must be to take the enrolled name.
    public init(
        store: any Store, media: MediaStore, leaseSeconds: Double, signal: WorkSignal, canDiarize: Bool = false,
        speakerMatchThreshold: Double = SpeakerRecognition.defaultThreshold
    ) {
        self.store = store
        self.media = media
        self.leaseSeconds = leaseSeconds
        self.signal = signal
        self.canDiarize = canDiarize
        self.speakerMatchThreshold = speakerMatchThreshold
    }

    public func claim(holder: String) async throws -> ClaimedJob? {
        try await store.claimNext(holder: holder, leaseSeconds: leaseSeconds, models: nil, canDiarize: canDiarize, now: Date())
    }

    public func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?) async throws -> Lease {
        try await mapLeaseLoss {
            try await store.heartbeat(lease, progress: progress, partial: partial, leaseSeconds: leaseSeconds, now: Date())
        }
    }

    public func complete(_ lease: Lease, transcript: Transcript) async throws {
        let recognized = try await SpeakerEnrollment.recognizing(transcript, store: store, threshold: speakerMatchThreshold)
        _ = try await mapLeaseLoss { try await store.complete(lease, transcript: recognized, now: Date()) }
    }

    /// Stores the transcript and claims the worker's next job in one store call (one transaction
    /// on SQLite). A job taken while the delivery itself was refused is released at once.
    public func complete(_ lease: Lease, transcript: Transcript, thenClaimFor holder: String) async throws -> ClaimedJob? {
        let recognized = try await SpeakerEnrollment.recognizing(transcript, store: store, threshold: speakerMatchThreshold)
        let done = try await store.completeAll(
            [JobResult(lease: lease, transcript: recognized)],
            thenClaim: ClaimCriteria(holder: holder, leaseSeconds: leaseSeconds, models: nil, canDiarize: canDiarize, limit: 1),
            now: Date()
        )
        let next = done.claimed.first
        switch done.outcomes.first {
        case .completed:
            return next
        case .rejected(let error):
            if let next { _ = try? await store.release(next.lease, now: Date()) }
            return try await mapLeaseLoss { () -> ClaimedJob? in throw error }
        case nil:
            if let next { _ = try? await store.release(next.lease, now: Date()) }
            throw LeaseLostError(.stale)
        }
    }

    public func fail(_ lease: Lease, error: JobError, retryable: Bool) async throws {
        _ = try await mapLeaseLoss { try await store.fail(lease, error: error, retryable: retryable, now: Date()) }
        // A retry may already be claimable once its backoff passes; idle workers re-check then.
        signal.notify()
    }

    public func release(_ lease: Lease) async throws {
        _ = try await mapLeaseLoss { try await store.release(lease, now: Date()) }
        signal.notify()
    }

    public func mediaFile(for job: Job) async throws -> URL {
        let url = media.url(for: job.media.sha256)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw JobError(code: "media_missing", message: "the job's media file is no longer in the media store")
        }
        return url
    }

    /// The media store's file is the job's own, kept for retries and downloads: nothing to discard.
    public func discardMedia(for job: Job) async {}

    public func waitForWork(timeout: Duration) async {
        // Read the generation before looking at the queue: a job inserted after the look is
        // announced by a notify that bumps it, so the wait below cannot miss it.
        let observed = signal.generation
        var wait = timeout
        if let next = try? await store.nextClaimableTime() {
            let seconds = next.timeIntervalSinceNow
            wait = seconds <= 0 ? .zero : min(timeout, .milliseconds(Int64(seconds * 1000) + 1))
        }
        guard wait > .zero else { return }
        await signal.wait(timeout: wait, unlessNotifiedSince: observed)
    }

    public func wake() async { signal.notify() }

    private func mapLeaseLoss<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StoreError.leaseLost(_, let loss) {
            throw LeaseLostError(loss)
        } catch StoreError.jobNotFound {
            throw LeaseLostError(.cancelled)
        }
    }
}
