import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Logging

/// What happens to every ended utterance, whether it came from a WebSocket client or a stream
/// source: it is transcribed with the live engine, its audio is kept as a WAV, its draft gets the
/// text, and it is queued again for the better model.
struct DraftFinisher: Sendable {
    let store: any Store
    let engine: LiveEngine
    let configuration: ServerConfiguration
    let draftAudio: URL
    let media: MediaStore
    let signal: WorkSignal

    /// The ended draft and the recognizer's segments (times relative to the utterance's start).
    func finish(_ work: LiveRoute.UtteranceAudio, sessionId: String, options: TranscriptionOptions, logger: Logger) async throws -> (Draft, [Segment]) {
        let segments = try await transcribe(work, sessionId: sessionId, options: options)
        return (try await keep(work, segments: segments, options: options, logger: logger), segments)
    }

    /// The utterance's segments from the live engine (times relative to its start).
    func transcribe(_ work: LiveRoute.UtteranceAudio, sessionId: String, options: TranscriptionOptions) async throws -> [Segment] {
        try await engine.transcribe(session: sessionId, samples: work.samples, options: options, kind: .final) ?? []
    }

    /// Ends the draft with `segments`, keeping its audio and queueing it for the better model;
    /// `speaker` labels the draft and its segments (a stream that labels speakers).
    func keep(
        _ work: LiveRoute.UtteranceAudio, segments: [Segment], options: TranscriptionOptions, speaker: String? = nil, logger: Logger
    ) async throws -> Draft {
        var segments = segments
        if let speaker {
            for index in segments.indices { segments[index].speaker = speaker }
        }
        let wav = draftAudio.appendingPathComponent("\(work.draftId).wav")
        var hasAudio = false
        do {
            try FileManager.default.createDirectory(at: draftAudio, withIntermediateDirectories: true)
            try WAVFile.data(samples: work.samples).write(to: wav, options: .atomic)
            hasAudio = true
        } catch {
            logger.error("could not keep a draft's audio", metadata: ["draft_id": "\(work.draftId)", "error": "\(error)"])
        }
        let duration = Double(work.samples.count) / 16_000
        let result = DraftResult(
            durationSeconds: duration, language: options.language, segments: segments, hasAudio: hasAudio, speaker: segments.isEmpty ? nil : speaker
        )
        let draft = try await store.endDraft(work.draftId, result: result, now: Date())
        if hasAudio, !segments.isEmpty {
            await queueReprocess(draftId: work.draftId, wav: wav, duration: duration, options: options, logger: logger)
        }
        return draft
    }

    /// Quick model first, better model later: the utterance's audio goes through the queue again
    /// with `live_reprocess_model`, so any node that has that model (this server's worker, or a
    /// machine elsewhere) improves the draft.
    private func queueReprocess(draftId: String, wav: URL, duration: Double, options: TranscriptionOptions, logger: Logger) async {
        let model = configuration.liveReprocessModel
        guard !model.isEmpty, model != options.model else { return }
        do {
            let stored = try media.ingest(fileAt: wav)
            defer { media.unpin(stored.sha256) }
            _ = try await store.createJob(NewJob(
                options: TranscriptionOptions(model: model, language: options.language),
                media: MediaInfo(sha256: stored.sha256, filename: "draft-\(draftId).wav", contentType: "audio/wav", sizeBytes: stored.sizeBytes, durationSeconds: duration),
                maxAttempts: configuration.maxAttempts, draftId: draftId
            ), now: Date())
            signal.notify()
        } catch {
            logger.error("could not queue a draft for reprocessing", metadata: ["draft_id": "\(draftId)", "error": "\(error)"])
        }
    }
}
