import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Logging
import Synchronization

/// The speaker-diarization engine of workers and nodes: the Resemblyzer voice encoder run natively
/// (OpenBLAS), loaded on first use and shared by every worker slot of the process.
public final class ResemblyzerDiarizer: SpeakerDiarizing {
    private let model: SpeakerModelFiles
    private let logger: Logger
    private let loaded = Mutex<Diarizer?>(nil)

    /// A diarizer that reads `model` when its first job comes.
    public init(model: SpeakerModelFiles, logger: Logger) {
        self.model = model
        self.logger = logger
    }

    /// A diarizer when the speaker model is installed; nil (and a notice in the log) when it is not,
    /// so that the caller claims no diarization jobs.
    public static func ifInstalled(model: SpeakerModelFiles = SpeakerModelFiles(), logger: Logger) -> ResemblyzerDiarizer? {
        guard model.isInstalled else {
            logger.notice(
                "no speaker model: diarization jobs are left to other workers",
                metadata: ["looked_in": "\(model.packageDirectories.map(\.path))"]
            )
            return nil
        }
        return ResemblyzerDiarizer(model: model, logger: logger)
    }

    public func diarize(_ audio: DecodedAudio, options: DiarizationOptions) async throws -> SpeakerTimeline {
        guard let samples = audio.loadSamples() else { throw DiarizationError("cannot read decoded audio at \(audio.url.path)") }
        let found = try await diarize(samples: samples, options: options)
        return SpeakerTimeline(
            speakers: found.speakers.map { SpeakerTimeline.Speaker(centroid: $0.centroid, speechSeconds: $0.speechSeconds) },
            turns: found.turns.map { SpeakerTimeline.Turn(start: $0.start, end: $0.end, speaker: $0.speaker) }
        )
    }

    /// The voice embedding of a clip (16 kHz mono samples), for enrolling a speaker from a recording.
    public func embedding(samples: [Float]) async throws -> [Float] {
        try await offThePool { try self.diarizer().embedding(of: samples) }
    }

    private func diarize(samples: [Float], options: DiarizationOptions) async throws -> DiarizationResult {
        let hint = SpeakerCountHint(minimum: options.minSpeakers, maximum: options.maxSpeakers)
        return try await offThePool { [logger] in
            let diarizer = try self.diarizer()
            let started = ContinuousClock.now
            let result = try diarizer.diarize(samples, speakers: hint)
            logger.debug("diarized", metadata: [
                "speakers": "\(result.speakers.count)", "audio_seconds": "\(Double(samples.count) / 16_000)",
                "elapsed": "\(ContinuousClock.now - started)",
            ])
            return result
        }
    }

    /// Seconds of CPU work go to a thread of their own, never to the few cooperative threads that
    /// serve requests and heartbeats.
    private func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    private func diarizer() throws -> Diarizer {
        if let ready = loaded.withLock({ $0 }) { return ready }
        let started = ContinuousClock.now
        let diarizer = Diarizer(weights: try model.weights())
        logger.info("speaker model loaded", metadata: ["elapsed": "\(ContinuousClock.now - started)"])
        return loaded.withLock { current in
            if let current { return current }
            current = diarizer
            return diarizer
        }
    }
}
