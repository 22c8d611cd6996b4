import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `/api/v1/jobs`: submit, list, inspect, cancel, retry and delete jobs, and fetch transcripts.
struct JobRoutes: Sendable {
    let store: any Store
    let media: MediaStore
    let decoder: AudioDecoder
    let signal: WorkSignal
    let configuration: ServerConfiguration

    static let maxPageSize = 200

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.post("jobs") { request, context in try await self.create(request, context: context) }
        group.get("jobs") { request, context in try await self.list(request, context: context) }
        group.get("jobs/{id}") { request, context in try await self.show(request, context: context) }
        group.get("jobs/{id}/attempts") { _, context in
            let job = try await JobAccess.readable(try Self.jobID(context), context: context, store: store)
            return try jsonResponse(AttemptListResponse(attempts: try await self.store.attempts(of: job.id)))
        }
        group.post("jobs/{id}/cancel") { _, context in
            let job = try await JobAccess.changeable(try Self.jobID(context), context: context, store: store)
            return try jsonResponse(JobResponse(try await self.store.cancel(job.id, now: Date())))
        }
        group.post("jobs/{id}/retry") { _, context in
            let job = try await JobAccess.changeable(try Self.jobID(context), context: context, store: store)
            let retried = try await self.store.retry(job.id, now: Date())
            self.signal.notify()
            return try jsonResponse(JobResponse(retried))
        }
        group.post("jobs/{id}/reset") { _, context in
            let job = try await JobAccess.changeable(try Self.jobID(context), context: context, store: store)
            let reset = try await self.store.reset(job.id, now: Date())
            self.signal.notify()
            return try jsonResponse(JobResponse(reset))
        }
        group.delete("jobs/{id}") { _, context in
            let job = try await JobAccess.changeable(try Self.jobID(context), context: context, store: store)
            let deleted = try await self.store.delete(job.id)
            if !deleted.mediaStillReferenced { self.media.removeUnlessPinned(deleted.job.media.sha256) }
            try await AuditTrail.record(.auditDeleted, store: store, context: context, target: "job:\(job.id)", detail: job.media.filename)
            return Response(status: .noContent)
        }
        group.get("jobs/{id}/transcript") { request, context in try await self.transcript(request, context: context) }
        group.get("jobs/{id}/segments") { request, context in try await self.segments(request, context: context) }
        group.get("jobs/{id}/media") { request, context in try await self.mediaFile(request, context: context) }
    }

    /// The uploaded file, for players (seeking uses `Range`).
    private func mediaFile(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let job = try await JobAccess.readable(try Self.jobID(context), context: context, store: store)
        guard job.media.removedAt == nil, media.contains(job.media.sha256) else {
            throw APIError(.gone, "media_removed", "the media of job \(job.id) is no longer stored")
        }
        var response = try await MediaFileResponse.make(
            path: media.url(for: job.media.sha256).path, size: Int(job.media.sizeBytes),
            contentType: MediaFileResponse.servedType(uploaded: job.media.contentType), request: request, context: context
        )
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return response
    }

    private func create(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let job = try await intake.create(from: request, context: context) { fields in
            try UploadParameters.parse(fields, configuration: configuration)
        }
        var response = try jsonResponse(JobResponse(job), status: .created)
        response.headers[.location] = "/api/v1/jobs/\(job.id)"
        return response
    }

    private var intake: JobIntake { JobIntake(store: store, media: media, decoder: decoder, signal: signal, configuration: configuration) }

    static let maxWaitSeconds = 60.0

    /// `GET /jobs/{id}`, optionally long-polling: `?wait=S` holds the request up to S seconds
    /// until the job is in one of the `until` states (default: any terminal state), so clients
    /// and scripts wait for completion without a polling loop of their own.
    private func show(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let id = try await JobAccess.readable(try Self.jobID(context), context: context, store: store).id
        let parameters = request.uri.queryParameters
        guard let waitText = parameters["wait"] else { return try jsonResponse(JobResponse(try await store.job(id))) }
        guard let wait = Double(String(waitText)), wait >= 0, wait <= Self.maxWaitSeconds else {
            throw APIError.badRequest("invalid_wait", "wait must be a number of seconds in 0...\(Int(Self.maxWaitSeconds))")
        }
        var targets = Set(JobState.allCases.filter(\.isTerminal))
        if let until = parameters["until"], !until.isEmpty {
            targets = []
            for name in until.split(separator: ",") {
                guard let state = JobState(rawValue: String(name)) else {
                    throw APIError.badRequest("invalid_state", "unknown state '\(name)' in until")
                }
                targets.insert(state)
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        while true {
            // Every state change commits an event, so the store's signal wakes this at once.
            let observed = store.eventSignal.generation
            let job = try await store.job(id)
            if targets.contains(job.state) || ContinuousClock.now >= deadline { return try jsonResponse(JobResponse(job)) }
            await store.eventSignal.wait(timeout: deadline - .now, unlessNotifiedSince: observed)
        }
    }

    private func list(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = JobQuery()
        query.visibleTo = context.principal.jobsVisibleTo
        if let states = parameters["state"], !states.isEmpty {
            for name in states.split(separator: ",") {
                guard let state = JobState(rawValue: String(name)) else {
                    throw APIError.badRequest("invalid_state", "unknown state '\(name)'; use \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.states.insert(state)
            }
        }
        if let limit = parameters["limit"] {
            guard let value = Int(String(limit)), (1...Self.maxPageSize).contains(value) else {
                throw APIError.badRequest("invalid_limit", "limit must be an integer in 1...\(Self.maxPageSize)")
            }
            query.limit = value
        }
        if let cursor = parameters["cursor"], !cursor.isEmpty { query.cursor = String(cursor) }
        query.createdFrom = try Self.dateParameter(parameters["created_from"].map(String.init), name: "created_from")
        query.createdBefore = try Self.dateParameter(parameters["created_before"].map(String.init), name: "created_before")
        let page = try await store.jobs(query)
        return try jsonResponse(JobListResponse(jobs: page.jobs.map(JobResponse.init), nextCursor: page.nextCursor))
    }

    private func transcript(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let id = try await JobAccess.readable(try Self.jobID(context), context: context, store: store).id
        let formatName = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = ExportFormat(rawValue: formatName) else {
            throw APIError.badRequest("invalid_format", "format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let job = try await store.job(id)
        guard job.state == .succeeded, let transcript = try await store.transcript(of: id) else {
            throw APIError(.conflict, "transcript_not_ready", "job \(id) is \(job.state.rawValue); a transcript exists once it has succeeded")
        }
        var response = textResponse(ExportFormat.render(transcript, as: format, metadata: job.metadata ?? [:]), contentType: format.contentType)
        if request.uri.queryParameters["download"].flatMap({ UploadParameters.parseBool(String($0)) }) == true {
            let stem = (transcript.title as NSString).deletingPathExtension
            response.headers[.contentDisposition] = "attachment; filename=\"\(Self.headerSafe(stem)).\(format.fileExtension)\""
        }
        return response
    }

    /// The text so far: the running attempt's partial segments, or the transcript's once done.
    private func segments(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let id = try await JobAccess.readable(try Self.jobID(context), context: context, store: store).id
        var after = 0
        if let text = request.uri.queryParameters["after"] {
            guard let value = Int(String(text)), value >= 0 else {
                throw APIError.badRequest("invalid_after", "after must be a non-negative integer")
            }
            after = value
        }
        let job = try await store.job(id)
        let final = job.state == .succeeded
        let all: [Segment] = switch job.state {
        case .succeeded: try await store.transcript(of: id)?.segments ?? []
        case .running: try await store.partialSegments(of: id)
        // A queued job's previous attempt, if any, is void; failed and cancelled jobs have no text.
        case .queued, .failed, .cancelled: []
        }
        return try jsonResponse(JobSegments(
            jobId: id, state: job.state, progress: job.progress, final: final, firstIndex: after, segments: Array(all.dropFirst(after))
        ))
    }

    static func jobID(_ context: some RequestContext) throws -> JobID {
        let text = context.parameters.get("id") ?? ""
        guard let id = JobID(validating: text) else {
            throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a job id")
        }
        return id
    }

    /// An RFC 3339 timestamp or a `YYYY-MM-DD` day (UTC); nil when absent or empty.
    static func dateParameter(_ text: String?, name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let date = ISO8601Timestamp.parseDateOrTimestamp(text) else {
            throw APIError.badRequest("invalid_date", "\(name) must be a date (2026-11-21) or an RFC 3339 timestamp")
        }
        return date
    }

    static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }.map(Character.init))
    }
}
