import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Metrics
import Synchronization

/// Turns one claimed job into a transcript: decode with ffmpeg, stream it through the engine, and
/// (when the job asks) find who speaks when.
struct JobRunner: Sendable {
    let source: any WorkSource
    let recognizer: any SpeechRecognizer
    let diarizer: (any SpeakerDiarizing)?
    let decoder: AudioDecoder
    let scratchDirectory: URL

    func transcribe(_ claimed: ClaimedJob, progress: ProgressBox) async throws -> Transcript {
        // `defer` cannot await, so the media is discarded on both paths by hand.
        do {
            let transcript = try await run(claimed, progress: progress)
            await source.discardMedia(for: claimed.job)
            return transcript
        } catch {
            await source.discardMedia(for: claimed.job)
            throw error
        }
    }

    private func run(_ claimed: ClaimedJob, progress: ProgressBox) async throws -> Transcript {
        let job = claimed.job
        let started = ContinuousClock.now
        let mediaURL = try await source.mediaFile(for: job)
        try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
        let pcm = scratchDirectory.appendingPathComponent("\(job.id)-\(claimed.lease.token).f32")
        defer { try? FileManager.default.removeItem(at: pcm) }
        let audio = try await decoder.decode(mediaURL, to: pcm)

        // Who speaks when comes first (a few percent of the transcription's time): segments are cut
        // where their words change speaker, which needs the words' times, and those cost the engine
        // about a third more — worth paying only when there is more than one speaker to tell apart.
        var timeline: SpeakerTimeline?
        if let options = job.options.diarization {
            // The claim filter keeps diarization jobs from workers without a diarizer; should one
            // get here anyway, the attempt fails retryably, for a worker that has one.
            guard let diarizer else { throw DiarizationUnavailable() }
            timeline = try await diarizer.diarize(audio, options: options)
        }
        var recognition = job.options
        if let timeline, timeline.speakers.count > 1 { recognition.wordTimestamps = true }

        var language = job.options.language ?? ""
        var segments: [Segment] = []
        for try await event in recognizer.recognize(RecognitionRequest(audio: audio, options: recognition)) {
            switch event {
            case .info(let detected, _):
                if !detected.isEmpty { language = detected }
            case .segment(let segment, let fraction):
                segments.append(segment)
                progress.update { running in
                    running.fraction = fraction
                    running.segments.append(segment)
                }
            }
        }
        var speakers: [TranscriptSpeaker] = []
        if let timeline {
            (segments, speakers) = timeline.labeling(segments)
            if !job.options.wordTimestamps {
                segments = segments.map { var segment = $0; segment.words = nil; return segment }
            }
        }
        let elapsed = ContinuousClock.now - started
        return Transcript(
            jobID: job.id, title: job.media.filename, source: job.media.filename, language: language,
            model: job.options.model, durationSeconds: audio.durationSeconds,
            processingSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            createdAt: Date(), segments: segments, speakers: speakers
        )
    }
}

/// A value shared between a job's engine loop, heartbeat loop and reporting code.
final class SharedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func set(_ newValue: Value) { mutex.withLock { $0 = newValue } }

    func get() -> Value { mutex.withLock { $0 } }

    func update(_ change: (inout Value) -> Void) { mutex.withLock { change(&$0) } }
}

/// What a running job has done so far: the fraction of its audio covered (0...1) and the
/// segments recognized, which heartbeats stream to the server.
struct JobProgress: Sendable {
    var fraction: Double = 0
    var segments: [Segment] = []
}

/// The latest progress of a running job.
typealias ProgressBox = SharedValue<JobProgress>

/// The lease as last renewed.
typealias LeaseBox = SharedValue<Lease>

/// A diarization job reached a worker without the speaker model.
struct DiarizationUnavailable: Error, CustomStringConvertible {
    var description: String { "this worker has no speaker model (pip resemblyzer); another worker should take the job" }
}
