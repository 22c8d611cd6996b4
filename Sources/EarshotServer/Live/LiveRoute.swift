import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// `GET /api/v1/live`: live transcription over a WebSocket.
///
/// The client sends a JSON hello, then binary PCM (16 kHz mono, `f32le` or `s16le`), then
/// `{"type":"end"}`. Voice activity detection splits the audio into utterances; each becomes a
/// stored draft. While one is open the server sends partials (may change) about once a second;
/// when a pause closes it, a final (never changes). After `end`, every remaining utterance is sent
/// as final before `{"type":"end"}` and the close: nothing said is dropped.
struct LiveRoute: Sendable {
    let store: any Store
    /// nil on a server without an engine (tests of the API alone): sessions are refused.
    let engine: LiveEngine?
    let configuration: ServerConfiguration
    let draftAudio: URL
    let media: MediaStore
    let signal: WorkSignal
    let slots = SessionSlots()

    static let maxMessageBytes = 1 << 20
    static let busyRetrySeconds = 10

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.ws("live") { inbound, outbound, context in
            // Every answer waits for the client's hello: bytes a server sends in the same breath
            // as the upgrade can be lost by clients still switching protocols.
            var messages = inbound.messages(maxSize: Self.maxMessageBytes).makeAsyncIterator()
            var hello: Hello
            do {
                hello = try await readHello(&messages)
                hello.ownerId = context.requestContext.principal.user?.id
            } catch let error as LiveProtocolError {
                try await refuse(outbound, .error(code: error.code, message: error.message, retryAfterSeconds: nil), closeCode: .policyViolation)
                return
            }
            guard let engine else {
                try await refuse(outbound, .error(code: "unavailable", message: "this server runs no engine for live transcription", retryAfterSeconds: nil))
                return
            }
            guard slots.acquire(limit: configuration.liveMaxSessions) else {
                try await refuse(outbound, .error(
                    code: "busy", message: "the server is serving \(configuration.liveMaxSessions) live sessions; retry in \(Self.busyRetrySeconds) s",
                    retryAfterSeconds: Self.busyRetrySeconds
                ), closeCode: .unknown(1013))
                return
            }
            defer { slots.release() }
            Task { await engine.warmUp() }
            try await serve(hello: hello, messages: &messages, outbound: outbound, engine: engine, logger: context.logger)
        }
    }

    /// What the hello settled for the session.
    struct Hello: Sendable {
        var sessionId: String
        var options: TranscriptionOptions
        var decoder: PCMDecoder
        /// The signed-in user the session's drafts belong to.
        var ownerId: String?
    }

    /// Says why in words, then closes with a code that says the same to libraries (1013: try
    /// again later), so a client never waits on a session that will not start.
    private func refuse(_ outbound: WebSocketOutboundWriter, _ message: LiveServerMessage, closeCode: WebSocketErrorCode = .unexpectedServerError) async throws {
        try await outbound.writeTextMessage(message.json)
        try await outbound.close(closeCode, reason: nil)
    }

    /// An utterance's audio (all of it for a final, so far for a partial) for the recognizer.
    struct UtteranceAudio: Sendable {
        var draftId: String
        var start: Int
        var samples: [Float]
    }

    private func serve(
        hello: Hello, messages: inout WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter, engine: LiveEngine,
        logger: Logger
    ) async throws {
        let (outgoing, send) = AsyncStream<LiveServerMessage>.makeStream()
        let (finals, enqueueFinal) = AsyncStream<UtteranceAudio>.makeStream()
        let state = LiveSessionState()
        send.yield(.ready(sessionId: hello.sessionId))

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in outgoing { try await outbound.writeTextMessage(message.json) }
            }
            group.addTask {
                var count = 0
                // Finals only are prompted with what was said before: a partial's second of audio
                // plus a prompt is what sets Whisper looping.
                var context = SpokenContext()
                for await work in finals {
                    count += 1
                    var options = hello.options
                    options.prompt = context.prompt
                    let message = await finish(work, sessionId: hello.sessionId, options: options, engine: engine, logger: logger)
                    if case .final(_, _, let text) = message { context.append(text) }
                    send.yield(message)
                }
                send.yield(.end(drafts: count))
                send.finish()
            }
            var tracker = UtteranceTracker()
            var decoder = hello.decoder
            var steps: [UtteranceTracker.Step] = []
            var ended = false
            while !ended {
                guard let message = try await messages.next() else { break }
                switch message {
                case .binary(let buffer):
                    if state.takeEmptyPartial() { tracker.partialWasEmpty() }
                    steps = tracker.append(decoder.samples(from: buffer.readableBytesView))
                case .text(let text):
                    guard LiveHello.isEndMessage(text) else {
                        send.yield(.error(code: "invalid_message", message: "after the hello, send binary PCM frames and finally {\"type\":\"end\"}", retryAfterSeconds: nil))
                        continue
                    }
                    ended = true
                    steps = []
                }
                for step in steps {
                    guard let partial = try await act(step, hello: hello, state: state, engine: engine, enqueueFinal: enqueueFinal) else { continue }
                    group.addTask {
                        defer { state.partialDone() }
                        let segments = try? await engine.transcribe(session: hello.sessionId, samples: partial.samples, options: hello.options, kind: .partial)
                        guard let segments, state.isCurrent(partial.draftId) else { return }
                        guard !segments.isEmpty else {
                            state.partialWasEmpty()
                            return
                        }
                        send.yield(.partial(draftId: partial.draftId, segments: Self.live(segments, from: partial.start, completed: false)))
                    }
                }
            }
            // The client said "end" or went away: what was said is still transcribed and stored.
            if let step = tracker.finish() { _ = try await act(step, hello: hello, state: state, engine: engine, enqueueFinal: enqueueFinal) }
            enqueueFinal.finish()
            try await group.waitForAll()
        }
    }

    /// Carries out one step of the tracker; returns the partial to run, if one should.
    private func act(
        _ step: UtteranceTracker.Step, hello: Hello, state: LiveSessionState,
        engine: LiveEngine, enqueueFinal: AsyncStream<UtteranceAudio>.Continuation
    ) async throws -> UtteranceAudio? {
        switch step {
        case .started(let sample):
            let draft = try await store.startDraft(
                NewDraft(
                    sessionId: hello.sessionId, offsetSeconds: Double(sample) / 16_000, model: hello.options.model,
                    language: hello.options.language, ownerId: hello.ownerId
                ),
                now: Date()
            )
            state.open(draft.id)
            return nil
        case .ended(let start, let samples):
            guard let id = state.close() else { return nil }
            await engine.cancelPartial(session: hello.sessionId)
            enqueueFinal.yield(UtteranceAudio(draftId: id, start: start, samples: samples))
            return nil
        case .partial(let start, let samples):
            guard let id = state.startPartial() else { return nil }
            return UtteranceAudio(draftId: id, start: start, samples: samples)
        }
    }

    private func readHello(_ messages: inout WebSocketInboundMessageStream.AsyncIterator) async throws -> Hello {
        guard let first = try await messages.next() else { throw LiveProtocolError("no_hello", "the connection closed before the hello") }
        guard case .text(let text) = first else { throw LiveProtocolError("invalid_hello", "the hello is a JSON text message") }
        let settings = try LiveHello.settings(from: text, allowedModels: configuration.allowedModels, defaultModel: configuration.model)
        return Hello(sessionId: settings.sessionId, options: settings.options, decoder: PCMDecoder(format: settings.format))
    }

    /// Transcribes an ended utterance and stores it (``DraftFinisher``), answered as a final.
    private func finish(
        _ work: UtteranceAudio, sessionId: String, options: TranscriptionOptions, engine: LiveEngine, logger: Logger
    ) async -> LiveServerMessage {
        let finisher = DraftFinisher(store: store, engine: engine, configuration: configuration, draftAudio: draftAudio, media: media, signal: signal)
        do {
            let (draft, segments) = try await finisher.finish(work, sessionId: sessionId, options: options, logger: logger)
            return .final(draftId: work.draftId, segments: Self.live(segments, from: work.start, completed: true), text: draft.text)
        } catch {
            logger.error("live utterance failed", metadata: ["draft_id": "\(work.draftId)", "error": "\(error)"])
            return .error(code: "transcription_failed", message: "utterance \(work.draftId) could not be transcribed: \(error)", retryAfterSeconds: nil)
        }
    }

    static func live(_ segments: [Segment], from start: Int, completed: Bool) -> [LiveSegment] {
        let offset = Double(start) / 16_000
        return segments.map {
            LiveSegment(start: offset + $0.start, end: offset + $0.end, text: $0.text.trimmingCharacters(in: .whitespaces), completed: completed)
        }
    }
}

/// What a session's reader and its partial tasks share: the open draft, whether a partial
/// is already being recognized (one at a time per session), and whether the last one was empty.
final class LiveSessionState: Sendable {
    private struct State {
        var draft: String?
        var partialRunning = false
        var emptyPartial = false
    }
    private let state = Mutex(State())

    func open(_ draft: String) {
        state.withLock {
            $0.draft = draft
            $0.emptyPartial = false
        }
    }

    /// Ends the open draft, returning its id.
    func close() -> String? {
        state.withLock { state in
            defer { state.draft = nil }
            return state.draft
        }
    }

    /// The open draft's id when a partial may start now (none running).
    func startPartial() -> String? {
        state.withLock { state in
            guard let draft = state.draft, !state.partialRunning else { return nil }
            state.partialRunning = true
            return draft
        }
    }

    func partialDone() { state.withLock { $0.partialRunning = false } }

    /// The open utterance's partial said nothing: the reader should ask for the next one soon.
    func partialWasEmpty() { state.withLock { $0.emptyPartial = true } }

    /// Whether a partial came back empty since the last call.
    func takeEmptyPartial() -> Bool {
        state.withLock { state in
            defer { state.emptyPartial = false }
            return state.emptyPartial
        }
    }

    /// Partials of an utterance that has since ended are never shown.
    func isCurrent(_ draft: String) -> Bool { state.withLock { $0.draft == draft } }
}

/// How many live sessions run now, bounded.
final class SessionSlots: Sendable {
    private let count = Mutex(0)

    func acquire(limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { count.withLock { $0 -= 1 } }
}

