import EarshotAudio
import EarshotCore
import EarshotStore
import Foundation
import Logging
import Metrics
import Synchronization

/// Runs one stream source: ffmpeg → voice activity detection → drafts, for as long as the stream
/// is enabled. A run that ends (ffmpeg exits, fails to connect, or delivers no audio for the stall
/// timeout) is restarted after ``ReconnectBackoff``'s delay. Every state change is an event.
///
/// Stopping is not cancellation: the capture is stopped and what was said up to then is still
/// transcribed and stored, so a stop, a delete or a server shutdown loses no utterance.
final class StreamRunner: Sendable {
    let source: StreamSource
    private let finisher: DraftFinisher
    /// Names each utterance's speaker; nil unless the stream asks for it and a speaker model exists.
    private let speakers: StreamSpeakerLabels?
    private let logger: Logger
    private let ffmpeg: String

    private enum Phase {
        case idle
        case capturing(PCMCapture)
        case waiting(Task<Void, any Error>)
    }

    private struct Shared {
        var status = StreamStatus()
        var phase = Phase.idle
        var stopRequested = false
    }

    private let shared = Mutex(Shared())
    private let restartCounter: Counter
    private let stallCounter: Counter
    private let upGauge: Gauge

    init(source: StreamSource, finisher: DraftFinisher, speakers: StreamSpeakerLabels?, logger: Logger, ffmpeg: String = "ffmpeg") {
        self.source = source
        self.finisher = finisher
        self.speakers = speakers
        self.ffmpeg = ffmpeg
        var logger = logger
        logger[metadataKey: "stream"] = "\(source.name)"
        self.logger = logger
        restartCounter = Counter(label: "earshot_stream_restarts_total", dimensions: [("stream", source.name)])
        stallCounter = Counter(label: "earshot_stream_stalls_total", dimensions: [("stream", source.name)])
        upGauge = Gauge(label: "earshot_stream_up", dimensions: [("stream", source.name)])
    }

    var status: StreamStatus { shared.withLock { $0.status } }

    /// Runs until ``stop()``; returns once the last utterance is stored.
    func run() async {
        var backoff = ReconnectBackoff()
        while !shared.withLock({ $0.stopRequested }) {
            await publish(.connecting)
            let outcome = await runOnce()
            let delay = backoff.runEnded(audioSeconds: outcome.audioSeconds)
            let sleeper = Task { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
            let proceed = shared.withLock { shared in
                guard !shared.stopRequested else { return false }
                shared.phase = .waiting(sleeper)
                shared.status.restarts += 1
                shared.status.retryAt = Date().addingTimeInterval(delay)
                return true
            }
            guard proceed else {
                sleeper.cancel()
                break
            }
            restartCounter.increment()
            logger.warning("stream run ended; retrying", metadata: ["reason": "\(outcome.reason)", "retry_in_seconds": "\(delay)"])
            await publish(.retrying, retryIn: delay, message: outcome.reason)
            _ = try? await sleeper.value
            shared.withLock { $0.status.retryAt = nil }
        }
        shared.withLock { $0.phase = .idle }
        await publish(.stopped)
    }

    /// Ends the stream: stops ffmpeg or the wait for the next attempt. ``run()`` then stores what
    /// was said and returns.
    func stop() async {
        let phase = shared.withLock { shared in
            shared.stopRequested = true
            return shared.phase
        }
        switch phase {
        case .capturing(let capture): await capture.stop()
        case .waiting(let sleeper): sleeper.cancel()
        case .idle: break
        }
    }

    private struct Outcome {
        var audioSeconds: Double
        var reason: String
    }

    /// One ffmpeg run, from start to exit, with every utterance it carried stored.
    private func runOnce() async -> Outcome {
        let errors = Mutex<[String]>([])
        let capture: PCMCapture
        do {
            let scheme = URLComponents(string: source.url)?.scheme?.lowercased() ?? ""
            capture = try PCMCapture(.url(source.url, protocols: StreamURL.ffmpegProtocols(for: scheme)), ffmpeg: ffmpeg) { [logger, source] line in
                let safe = URLCredentials.redact(line, secretsOf: source.url)
                logger.debug("ffmpeg", metadata: ["line": "\(safe)"])
                errors.withLock { lines in
                    lines.append(safe)
                    if lines.count > 20 { lines.removeFirst() }
                }
            }
        } catch {
            return Outcome(audioSeconds: 0, reason: "could not start \(ffmpeg): \(error)")
        }
        let started = shared.withLock { shared in
            guard !shared.stopRequested else { return false }
            shared.phase = .capturing(capture)
            return true
        }
        if !started { await capture.stop() }

        let activity = AudioActivity()
        let stallTimeout = source.stallTimeoutSeconds
        let connectTimeout = Self.connectTimeout(stallTimeout: stallTimeout)
        let watchdog = Task { [capture] in
            // Fires when no audio came for the stall timeout (or, before the first audio, the
            // connect timeout); the capture's end then ends the run.
            while !Task.isCancelled {
                let quietFor = activity.secondsSinceAudio()
                let limit = activity.hasHeard ? stallTimeout : connectTimeout
                if quietFor >= limit {
                    activity.markSilent()
                    await capture.stop()
                    return
                }
                try await Task.sleep(for: .milliseconds(Int64((limit - quietFor) * 1000) + 10))
            }
        }

        let (finals, enqueueFinal) = AsyncStream<LiveRoute.UtteranceAudio>.makeStream()
        let options = TranscriptionOptions(model: source.model, language: source.language, beamSize: 1, wordTimestamps: false)
        let transcriber = Task { [finisher, speakers, logger, source] in
            // Each utterance is prompted with the end of what the stream said before it, as on a
            // live WebSocket session: names and spellings stay consistent from one to the next.
            var context = SpokenContext()
            for await work in finals {
                do {
                    var prompted = options
                    prompted.prompt = context.prompt
                    // The voice is embedded while the words are recognised: neither waits for the other.
                    async let speaker = speakers?.label(work.samples)
                    let recognized = try await finisher.transcribe(work, sessionId: source.sessionId, options: prompted)
                    context.append(recognized.map(\.text).joined(separator: " "))
                    let labelled = await speaker
                    if let labelled, let earlier = labelled.renamedFrom {
                        await Self.rename(earlier, to: labelled.speaker, sessionId: source.sessionId, store: finisher.store, logger: logger)
                    }
                    _ = try await finisher.keep(work, segments: recognized, options: options, speaker: labelled?.speaker, logger: logger)
                    self.shared.withLock { $0.status.drafts += 1 }
                } catch {
                    logger.error("stream utterance failed", metadata: ["draft_id": "\(work.draftId)", "error": "\(error)"])
                }
            }
        }

        var tracker = UtteranceTracker()
        var decoder = PCMDecoder(format: .f32le)
        var openDraft: String?
        var samplesReceived = 0
        for await chunk in capture.audio {
            let samples = decoder.samples(from: chunk)
            guard !samples.isEmpty else { continue }
            if samplesReceived == 0 { await publish(.running) }
            samplesReceived += samples.count
            activity.heard()
            shared.withLock {
                $0.status.audioSeconds += Double(samples.count) / 16_000
                $0.status.lastAudioAt = Date()
            }
            for step in tracker.append(samples) {
                await act(step, openDraft: &openDraft, enqueueFinal: enqueueFinal)
            }
        }
        if let step = tracker.finish() { await act(step, openDraft: &openDraft, enqueueFinal: enqueueFinal) }
        enqueueFinal.finish()
        watchdog.cancel()
        let code = await capture.exitCode()
        shared.withLock { $0.phase = .idle }
        await transcriber.value

        let audioSeconds = Double(samplesReceived) / 16_000
        if activity.timedOut, samplesReceived == 0 {
            return Outcome(audioSeconds: 0, reason: "no audio within \(Self.seconds(connectTimeout)) s of connecting")
        }
        if activity.timedOut {
            stallCounter.increment()
            shared.withLock { $0.status.stalls += 1 }
            return Outcome(audioSeconds: audioSeconds, reason: "no audio for \(Self.seconds(stallTimeout)) s (stalled)")
        }
        let lastLine = errors.withLock { $0.last }
        return Outcome(audioSeconds: audioSeconds, reason: lastLine ?? (code == 0 ? "the stream ended" : "ffmpeg exited with code \(code)"))
    }

    /// The session's drafts stored under a voice's earlier label take the enrolled name it was
    /// recognised as. Utterances are labelled and stored one at a time, so every earlier draft of
    /// the voice is stored by now. A failure leaves those drafts as they were, logged.
    private static func rename(_ earlier: String, to name: String, sessionId: String, store: any Store, logger: Logger) async {
        do {
            let renamed = try await store.renameDraftSpeaker(sessionId: sessionId, from: earlier, to: name, now: Date())
            logger.info("a stream voice was recognised as an enrolled speaker", metadata: [
                "from": "\(earlier)", "to": "\(name)", "drafts_renamed": "\(renamed.count)",
            ])
        } catch {
            logger.error("could not rename a speaker's earlier drafts", metadata: ["from": "\(earlier)", "to": "\(name)", "error": "\(error)"])
        }
    }

    private func act(_ step: UtteranceTracker.Step, openDraft: inout String?, enqueueFinal: AsyncStream<LiveRoute.UtteranceAudio>.Continuation) async {
        switch step {
        case .started(let sample):
            do {
                let draft = try await finisher.store.startDraft(
                    NewDraft(sessionId: source.sessionId, offsetSeconds: Double(sample) / 16_000, model: source.model, language: source.language),
                    now: Date()
                )
                openDraft = draft.id
            } catch {
                logger.error("could not start a draft", metadata: ["error": "\(error)"])
            }
        case .ended(let start, let samples):
            guard let id = openDraft else { return }
            openDraft = nil
            enqueueFinal.yield(LiveRoute.UtteranceAudio(draftId: id, start: start, samples: samples))
        case .partial:
            // Streams store finals only: partials would cost the shared engine time that live
            // clients, who see them, need more.
            break
        }
    }

    private func publish(_ state: StreamState, retryIn: Double? = nil, message: String? = nil) async {
        let restarts = shared.withLock { shared in
            shared.status.state = state
            if let message { shared.status.lastError = message }
            return shared.status.restarts
        }
        upGauge.record(state == .running ? 1 : 0)
        let data = StreamEventData(streamId: source.id, name: source.name, state: state, restarts: restarts, retryInSeconds: retryIn, message: message)
        do {
            _ = try await finisher.store.appendEvent(
                NewEvent(type: .streamStateChanged, correlationId: source.sessionId, source: "stream:\(source.name)", data: .stream(data)), now: Date()
            )
        } catch {
            logger.error("could not record a stream event", metadata: ["error": "\(error)"])
        }
    }

    /// How long a run may take to deliver its first audio. Starting ffmpeg, connecting and probing
    /// (an RTSP camera's handshake, a busy machine) can outlast a short stall timeout; killing such a
    /// run would fail every attempt, so the first audio gets at least this long.
    static func connectTimeout(stallTimeout: Double) -> Double { max(stallTimeout, 30) }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// When audio last came (and whether any has), for the stall watchdog.
private final class AudioActivity: Sendable {
    private struct State {
        var last = ContinuousClock.now
        var heard = false
        var timedOut = false
    }
    private let state = Mutex(State())

    func heard() {
        state.withLock { state in
            state.last = .now
            state.heard = true
        }
    }
    var hasHeard: Bool { state.withLock { $0.heard } }
    func secondsSinceAudio() -> Double {
        let elapsed = state.withLock { ContinuousClock.now - $0.last }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    func markSilent() { state.withLock { $0.timedOut = true } }
    var timedOut: Bool { state.withLock { $0.timedOut } }
}
