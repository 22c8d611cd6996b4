import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Hummingbird
import Logging

/// Turns an upload into a queued job: the one path for `POST /api/v1/jobs` and the
/// OpenAI-compatible `POST /v1/audio/transcriptions`.
struct JobIntake: Sendable {
    let store: any Store
    let media: MediaStore
    let decoder: AudioDecoder
    let signal: WorkSignal
    let configuration: ServerConfiguration

    /// Receives the file (streamed to the media store), reads the options from its fields with
    /// `parameters`, and queues the job. A rejected upload's file is removed unless another job
    /// uses the same content.
    func create(
        from request: Request, context: some RequestContext, parameters: ([String: String]) throws -> UploadParameters
    ) async throws -> Job {
        let upload = try await UploadReceiver(media: media, maxBytes: configuration.maxUploadBytes).receive(request)
        defer { media.unpin(upload.media.sha256) }
        let options: UploadParameters
        do {
            options = try parameters(upload.fields)
        } catch {
            releaseIfUnreferenced(upload.media.sha256)
            throw error
        }
        let duration = await decoder.probeDuration(upload.media.url)
        let info = MediaInfo(
            sha256: upload.media.sha256, filename: upload.filename, contentType: upload.contentType,
            sizeBytes: upload.media.sizeBytes, durationSeconds: duration
        )
        let job = try await store.createJob(
            NewJob(priority: options.priority, options: options.options, media: info, maxAttempts: configuration.maxAttempts), now: Date()
        )
        signal.notify()
        context.logger.info("job created", metadata: ["job_id": "\(job.id)", "bytes": "\(info.sizeBytes)"])
        return job
    }

    private func releaseIfUnreferenced(_ sha256: String) {
        Task {
            if (try? await store.isMediaReferenced(sha256)) == false { media.removeUnlessPinned(sha256) }
        }
    }

    /// The job once it is finished, or as it is when `timeout` runs out. Wakes on the store's
    /// commits rather than polling.
    static func finished(_ id: JobID, store: any Store, timeout: Duration) async throws -> Job {
        let deadline = ContinuousClock.now + timeout
        while true {
            let observed = store.eventSignal.generation
            let job = try await store.job(id)
            if job.state.isTerminal || ContinuousClock.now >= deadline { return job }
            await store.eventSignal.wait(timeout: deadline - .now, unlessNotifiedSince: observed)
        }
    }
}
