import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Metrics

/// Turns one claimed job into a transcript: decode with ffmpeg, then stream it through the engine.
struct JobRunner: Sendable {
    let source: any WorkSource
    let recognizer: any SpeechRecognizer
    let decoder: AudioDecoder
    let scratchDirectory: URL

    func transcribe(_ claimed: ClaimedJob, progress: ProgressBox) async throws -> Transcript {
        let job = claimed.job
        let started = ContinuousClock.now
        let mediaURL = try await source.mediaFile(for: job)
        try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
        let pcm = scratchDirectory.appendingPathComponent("\(job.id)-\(claimed.lease.token).f32")
        defer { try? FileManager.default.removeItem(at: pcm) }
        let audio = try await decoder.decode(mediaURL, to: pcm)

        var language = job.options.language ?? ""
        var segments: [Segment] = []
        for try await event in recognizer.recognize(RecognitionRequest(audio: audio, options: job.options)) {
            switch event {
            case .info(let detected, _):
                if !detected.isEmpty { language = detected }
            case .segment(let segment, let fraction):
                segments.append(segment)
                progress.set(fraction)
            }
        }
        let elapsed = ContinuousClock.now - started
        return Transcript(
            jobID: job.id, title: job.media.filename, source: job.media.filename, language: language,
            model: job.options.model, durationSeconds: audio.durationSeconds,
            processingSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            createdAt: Date(), segments: segments
        )
    }
}

/// The latest progress of a running job, written by the engine loop and read by the heartbeat loop.
final class ProgressBox: @unchecked Sendable {
    // @unchecked: all access goes through `lock`.
    private let lock = NSLock()
    private var value: Double = 0

    func set(_ newValue: Double) {
        lock.lock()
        value = newValue
        lock.unlock()
    }

    func get() -> Double {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
