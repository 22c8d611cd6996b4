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

    /// Receives the file (streamed to the media store) — or, for a JSON body `{"url": …}`, fetches
    /// it (``MediaDownloader``) —, reads the options from its fields with `parameters`, and queues
    /// the job, owned by the signed-in user. A rejected upload's file is removed unless another job
    /// uses the same content.
    func create(
        from request: Request, context: EarshotRequestContext, parameters: ([String: String]) throws -> UploadParameters
    ) async throws -> Job {
        if (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") {
            return try await createFromURL(request, context: context, parameters: parameters)
        }
        let upload = try await UploadReceiver(media: media, maxBytes: configuration.maxUploadBytes).receive(request)
        defer { media.unpin(upload.media.sha256) }
        let options: UploadParameters
        do {
            options = try parameters(upload.fields)
        } catch {
            releaseIfUnreferenced(upload.media.sha256)
            throw error
        }
        return try await queue(
            upload.media, filename: upload.filename, contentType: upload.contentType, options: options, owner: context.principal.user?.id,
            logger: context.logger
        )
    }

    /// `{"url": …, "model": …, …}`: the options are checked before anything is fetched.
    private func createFromURL(
        _ request: Request, context: EarshotRequestContext, parameters: ([String: String]) throws -> UploadParameters
    ) async throws -> Job {
        let body = try await decodeJSON([String: JSONScalar].self, from: request, context: context, limit: 64 * 1024)
        guard case .text(let url)? = body["url"] else {
            throw APIError.badRequest("missing_url", "a JSON body needs \"url\": the http(s) address of the media")
        }
        var fields = body.filter { $0.key != "url" }.mapValues(\.text)
        let filename = fields.removeValue(forKey: "filename")
        let options = try parameters(fields)
        let downloaded = try await downloader.download(url)
        defer { media.unpin(downloaded.media.sha256) }
        context.logger.info("fetched media", metadata: ["url": "\(URLCredentials.masked(url))", "bytes": "\(downloaded.media.sizeBytes)"])
        return try await queue(
            downloaded.media, filename: filename.map { UploadParameters.sanitizedFilename($0) } ?? downloaded.filename,
            contentType: downloaded.contentType, options: options, owner: context.principal.user?.id, logger: context.logger
        )
    }

    /// Fetches `url` and queues it with the server's default options (a feed's new episode).
    func create(
        fetching url: String, filename: String, model: String?, diarize: Bool = false, metadata: [String: String], logger: Logger
    ) async throws -> Job {
        var fields: [String: String] = [:]
        fields["model"] = model
        if diarize { fields["diarize"] = "true" }
        let options = try UploadParameters.parse(fields, configuration: configuration)
        let downloaded = try await downloader.download(url)
        defer { media.unpin(downloaded.media.sha256) }
        return try await queue(
            downloaded.media, filename: filename, contentType: downloaded.contentType, options: options, metadata: metadata, logger: logger
        )
    }

    /// Fetches what clients name, with the server's limits and address policy.
    var downloader: MediaDownloader {
        MediaDownloader(
            media: media, maxBytes: configuration.maxUploadBytes, timeout: .seconds(configuration.urlDownloadTimeoutSeconds),
            allowPrivateAddresses: configuration.allowPrivateURLs
        )
    }

    private func queue(
        _ stored: StoredMedia, filename: String, contentType: String?, options: UploadParameters, metadata: [String: String] = [:], owner: String? = nil,
        logger: Logger
    ) async throws -> Job {
        let duration = await decoder.probeDuration(stored.url)
        let info = MediaInfo(sha256: stored.sha256, filename: filename, contentType: contentType, sizeBytes: stored.sizeBytes, durationSeconds: duration)
        let job = try await store.createJob(
            NewJob(priority: options.priority, options: options.options, media: info, maxAttempts: configuration.maxAttempts, metadata: metadata,
                   ownerId: owner),
            now: Date()
        )
        signal.notify()
        logger.info("job created", metadata: ["job_id": "\(job.id)", "bytes": "\(info.sizeBytes)"])
        return job
    }

    /// A JSON field's value as the form fields carry it (text), whatever its JSON type.
    enum JSONScalar: Decodable {
        case text(String)
        case number(Double)
        case flag(Bool)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        var text: String {
            switch self {
            case .text(let text): text
            case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .flag(let flag): flag ? "true" : "false"
            }
        }
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
