import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Logging

/// Shares one recognizer among live sessions, fairly: finals (which must never be lost) go
/// first, oldest first; a session has at most one partial waiting, and a newer partial replaces
/// it (the older text is stale before it could be shown). One recognition runs at a time, so a
/// session's latency depends on the work ahead of it, not on how loud another session is.
///
/// The recognizer is started on the first request, so servers that never see a live client do
/// not pay for a second engine process.
actor LiveEngine {
    enum Kind: Sendable { case partial, final }

    private struct Pending {
        var session: String
        var samples: [Float]
        var options: TranscriptionOptions
        var kind: Kind
        var continuation: CheckedContinuation<[Segment]?, any Error>
        var enqueued: ContinuousClock.Instant
    }

    private let recognizer: any SpeechRecognizer
    private let scratch: URL
    private let logger: Logger
    private var prepared = false
    private var running = false
    private var finals: [Pending] = []
    private var partials: [String: Pending] = [:]
    private var counter = 0

    init(recognizer: any SpeechRecognizer, scratch: URL, logger: Logger) {
        self.recognizer = recognizer
        self.scratch = scratch
        self.logger = logger
    }

    /// The segments of `samples` (16 kHz mono), times relative to their start; nil when a newer
    /// partial of the same session replaced this one before it ran.
    func transcribe(session: String, samples: [Float], options: TranscriptionOptions, kind: Kind) async throws -> [Segment]? {
        try await withCheckedThrowingContinuation { continuation in
            let pending = Pending(session: session, samples: samples, options: options, kind: kind, continuation: continuation, enqueued: .now)
            switch kind {
            case .final:
                finals.append(pending)
            case .partial:
                partials.updateValue(pending, forKey: session)?.continuation.resume(returning: nil)
            }
            if !running {
                running = true
                Task { await drain() }
            }
        }
    }

    /// Starts the recognizer if it is not running yet, so its model loads while the client's
    /// first words arrive rather than after them.
    func warmUp() async {
        guard !prepared, !running else { return }
        running = true
        do {
            try await recognizer.prepare()
            prepared = true
        } catch {
            logger.error("the live engine did not start", metadata: ["error": "\(error)"])
        }
        running = false
        if !finals.isEmpty || !partials.isEmpty {
            running = true
            Task { await drain() }
        }
    }

    /// Drops the session's waiting partial (it disconnected or its utterance ended).
    func cancelPartial(session: String) {
        partials.removeValue(forKey: session)?.continuation.resume(returning: nil)
    }

    /// How many recognitions wait, for the busy answer's estimate.
    var backlog: Int { finals.count + partials.count }

    private func next() -> Pending? {
        if !finals.isEmpty { return finals.removeFirst() }
        guard let oldest = partials.values.min(by: { $0.enqueued < $1.enqueued }) else { return nil }
        return partials.removeValue(forKey: oldest.session)
    }

    private func drain() async {
        while let work = next() {
            do {
                work.continuation.resume(returning: try await recognize(work.samples, options: work.options, kind: work.kind))
            } catch {
                work.continuation.resume(throwing: error)
            }
        }
        running = false
    }

    private func recognize(_ samples: [Float], options: TranscriptionOptions, kind: Kind) async throws -> [Segment] {
        if !prepared {
            try await recognizer.prepare()
            prepared = true
        }
        counter += 1
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let file = scratch.appendingPathComponent("live-\(counter).f32")
        defer { try? FileManager.default.removeItem(at: file) }
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: file)
        var segments: [Segment] = []
        // Utterances are short (the VAD cuts them at 30 s): a window fitted to each is several
        // times faster to encode than Whisper's usual 30 seconds, at the same accuracy. A looped
        // partial is cut (the next comes soon); a looped final is decoded again in full.
        let request = RecognitionRequest(
            audio: DecodedAudio(url: file, sampleCount: samples.count), options: options, window: .fitted(provisional: kind == .partial)
        )
        for try await event in recognizer.recognize(request) {
            if case .segment(let segment, _) = event { segments.append(segment) }
        }
        return segments
    }

    func shutdown() async {
        if prepared { await recognizer.shutdown() }
    }
}
