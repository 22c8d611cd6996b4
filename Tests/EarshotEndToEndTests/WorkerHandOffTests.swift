import EarshotCore
import EarshotNode
import EarshotStore
import EarshotWhisperCpp
import Foundation
import Synchronization
import Testing

/// The worker loop with a real store, media store and engine: a job taken along with a delivery
/// belongs to the worker, which runs it or hands it back.
@Suite("Worker hand-off", .serialized)
struct WorkerHandOffTests {
    @Test("the built-in worker delivers and takes the next job in one call; one taken as shutdown begins goes back to the queue at once", .takesTurns)
    func nextJobReleasedOnShutdown() async throws {
        let directory = try TestEnvironment.temporaryDirectory("worker-hand-off")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        let media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        let clip = try TestEnvironment.librivoxClips()[1]
        let stored = try media.ingest(fileAt: clip.url)
        media.unpin(stored.sha256)
        let info = MediaInfo(sha256: stored.sha256, filename: "clip.wav", contentType: nil, sizeBytes: stored.sizeBytes, durationSeconds: nil)
        let options = TranscriptionOptions(model: "tiny.en", beamSize: 5)
        let first = try await store.createJob(NewJob(priority: 1, options: options, media: info, maxAttempts: 3), now: Date())
        let second = try await store.createJob(NewJob(options: options, media: info, maxAttempts: 3), now: Date())

        let recognizer = WhisperCppRecognizer(configuration: WhisperCppConfiguration(models: WhisperCppEngineTests.models, threads: 2))
        try await recognizer.prepare()
        let worker = Mutex<TranscriptionWorker?>(nil)
        // Shutdown begins while the first job's delivery is on its way: the worker stops with the
        // second job in hand.
        let source = StopAfterDelivery(base: LocalWorkSource(store: store, media: media, leaseSeconds: 120, signal: WorkSignal())) {
            await worker.withLock { $0 }?.stop()
        }
        let running = TranscriptionWorker(
            configuration: WorkerConfiguration(holder: "builtin:test:1", scratchDirectory: directory), source: source, recognizer: recognizer
        )
        worker.withLock { $0 = running }
        await running.runUntilStopped()

        #expect(source.taken.all == [second.id], "the delivery took the next job")
        #expect(try await store.job(first.id).state == .succeeded)
        let text = try #require(try await store.transcript(of: first.id)).plainText
        let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.15, "WER \(errors)/\(words): \(text)")
        let handedBack = try await store.job(second.id)
        #expect(handedBack.state == .queued && handedBack.leaseHolder == nil, "released, not left to its lease: \(handedBack.state)")
    }
}

/// The built-in worker's source, which also begins the worker's shutdown right after a delivery
/// returns: the one instant this test needs, without timing.
struct StopAfterDelivery: WorkSource {
    let base: LocalWorkSource
    let stop: @Sendable () async -> Void
    /// The jobs the deliveries took.
    let taken = SharedTaken()

    init(base: LocalWorkSource, stop: @escaping @Sendable () async -> Void) {
        self.base = base
        self.stop = stop
    }

    final class SharedTaken: Sendable {
        private let ids = Mutex<[JobID]>([])
        func append(_ id: JobID) { ids.withLock { $0.append(id) } }
        var all: [JobID] { ids.withLock { $0 } }
    }

    func complete(_ lease: Lease, transcript: Transcript, thenClaimFor holder: String) async throws -> ClaimedJob? {
        let next = try await base.complete(lease, transcript: transcript, thenClaimFor: holder)
        if let next { taken.append(next.job.id) }
        await stop()
        return next
    }

    func claim(holder: String) async throws -> ClaimedJob? { try await base.claim(holder: holder) }
    func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?) async throws -> Lease {
        try await base.heartbeat(lease, progress: progress, partial: partial)
    }
    func complete(_ lease: Lease, transcript: Transcript) async throws { try await base.complete(lease, transcript: transcript) }
    func fail(_ lease: Lease, error: JobError, retryable: Bool) async throws { try await base.fail(lease, error: error, retryable: retryable) }
    func release(_ lease: Lease) async throws { try await base.release(lease) }
    func mediaFile(for job: Job) async throws -> URL { try await base.mediaFile(for: job) }
    func discardMedia(for job: Job) async { await base.discardMedia(for: job) }
    func waitForWork(timeout: Duration) async { await base.waitForWork(timeout: timeout) }
    func wake() async { await base.wake() }
}
