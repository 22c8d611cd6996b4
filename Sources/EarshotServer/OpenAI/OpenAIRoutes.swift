import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/audio/transcriptions` and `GET /v1/models`: OpenAI's audio API, so clients written
/// for it (the `openai` packages, speaches, WhisperLive and WhisperKit clients) work unchanged.
///
/// A request becomes an ordinary job, queued ahead of the native API's (a client is waiting), so
/// it shows up in the UI, the events and the search like any other, and any node may take it.
/// The answer waits for the job (`openai_wait_seconds`); `stream=true` sends each recognized
/// segment as it comes, as Server-Sent Events.
struct OpenAIRoutes: Sendable {
    let intake: JobIntake
    let store: any Store
    let configuration: ServerConfiguration

    func register(on router: Router<EarshotRequestContext>) {
        let v1 = router.group("v1")
        v1.get("models") { _, _ in
            let names = [OpenAIRequest.openAIModel] + configuration.allowedModels
            return try jsonResponse(OpenAIResponses.ModelList(data: names.map { .init(id: $0) }))
        }
        v1.post("audio/transcriptions") { request, context in
            // Parsed once, while the upload's fields are read; the route needs the result after.
            var parsed: OpenAIRequest?
            let job = try await intake.create(from: request, context: context) { fields in
                let openAI = try OpenAIRequest.parse(fields, configuration: configuration)
                parsed = openAI
                return openAI.parameters
            }
            guard let openAI = parsed else { throw APIError(.internalServerError, "internal", "the request was not parsed") }
            if openAI.stream { return streamed(job) }
            return try await answer(job, as: openAI)
        }
    }

    private func answer(_ created: Job, as request: OpenAIRequest) async throws -> Response {
        let job = try await JobIntake.finished(created.id, store: store, timeout: .seconds(configuration.openAIWaitSeconds))
        let transcript = try await completedTranscript(job)
        switch request.format {
        case .json: return try jsonResponse(OpenAIResponses.Transcription(text: OpenAIResponses.text(of: transcript)))
        case .verboseJSON: return try jsonResponse(OpenAIResponses.verbose(transcript, words: request.words))
        case .text: return textResponse(OpenAIResponses.text(of: transcript) + "\n", contentType: "text/plain; charset=utf-8")
        case .srt: return textResponse(ExportFormat.render(transcript, as: .srt), contentType: "text/plain; charset=utf-8")
        case .vtt: return textResponse(ExportFormat.render(transcript, as: .vtt), contentType: "text/plain; charset=utf-8")
        }
    }

    /// The transcript of a finished job; its failure, or its still running, in words.
    private func completedTranscript(_ job: Job) async throws -> Transcript {
        switch job.state {
        case .succeeded:
            guard let transcript = try await store.transcript(of: job.id) else { throw StoreError.transcriptNotFound(job.id) }
            return transcript
        case .failed where job.lastError?.code == JobError.unsupportedMedia("").code:
            throw APIError.badRequest("invalid_audio", job.lastError?.message ?? "the file could not be decoded as audio")
        case .failed, .cancelled:
            throw APIError(.internalServerError, "transcription_failed", "job \(job.id) \(job.state.rawValue): \(job.lastError?.message ?? "no reason given")")
        default:
            throw APIError(
                .gatewayTimeout, "timeout",
                "still transcribing after \(Int(configuration.openAIWaitSeconds)) s; the job goes on: GET /api/v1/jobs/\(job.id)"
            )
        }
    }

    /// `transcript.text.delta` for each segment as the worker recognizes it, then
    /// `transcript.text.done` with the whole text (or `error`), as Server-Sent Events.
    private func streamed(_ job: Job) -> Response {
        let store = self.store
        let wait = Duration.seconds(configuration.openAIWaitSeconds)
        let body = ResponseBody { writer in
            func send(_ event: OpenAIResponses.StreamEvent) async throws {
                let json = String(decoding: try EarshotJSON.encoder().encode(event), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "data: \(json)\n\n"))
            }
            let deadline = ContinuousClock.now + wait
            var after: Int64 = 0
            var sent = 0
            let filter = EventTypeFilter(types: [.jobSegment, .jobSucceeded, .jobFailed, .jobCancelled])
            while ContinuousClock.now < deadline {
                let observed = store.eventSignal.generation
                let events = try await store.events(after: after, filter: filter, correlationId: job.id.rawValue, limit: 200)
                for event in events {
                    after = event.seq
                    switch event.data {
                    case .segments(let data):
                        for (offset, segment) in data.segments.enumerated() where data.firstIndex + offset >= sent {
                            try await send(.init(type: "transcript.text.delta", delta: segment.text))
                            sent = data.firstIndex + offset + 1
                        }
                    default:
                        if event.type == .jobSucceeded, let transcript = try await store.transcript(of: job.id) {
                            // Segments the worker had not streamed yet (it sends them in batches).
                            for segment in transcript.segments.dropFirst(sent) {
                                try await send(.init(type: "transcript.text.delta", delta: segment.text))
                            }
                            try await send(.init(type: "transcript.text.done", text: OpenAIResponses.text(of: transcript)))
                        } else {
                            try await send(.init(type: "error", text: "job \(job.id) \(event.type.rawValue)"))
                        }
                        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                        try await writer.finish(nil)
                        return
                    }
                }
                if events.isEmpty { await store.eventSignal.wait(timeout: deadline - .now, unlessNotifiedSince: observed) }
            }
            try await send(.init(type: "error", text: "still transcribing; the job goes on: GET /api/v1/jobs/\(job.id)"))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Earshot-Job")!: job.id.rawValue],
            body: body
        )
    }
}
