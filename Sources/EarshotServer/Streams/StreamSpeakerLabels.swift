import EarshotCore
import EarshotEngine
import EarshotStore
import Foundation
import Logging

/// Names the speaker of each utterance of one stream, for as long as its runner lives: the voice
/// embedding comes from the speaker model, the naming from ``StreamSpeakerTracker``, and enrolled
/// voices are read afresh for every utterance, so one enrolled meanwhile is recognised at once.
///
/// A failure (the speaker model missing or unreadable, an utterance too short to embed) leaves
/// that utterance unlabelled; the draft itself is never lost over it.
actor StreamSpeakerLabels {
    private let model: any SpeakerDiarizing
    private let store: any SpeakerStore
    private let logger: Logger
    private var tracker: StreamSpeakerTracker

    init(model: any SpeakerDiarizing, store: any SpeakerStore, enrolledThreshold: Double, logger: Logger) {
        self.model = model
        self.store = store
        self.logger = logger
        tracker = StreamSpeakerTracker(enrolledThreshold: enrolledThreshold)
    }

    /// The label of an utterance (16 kHz mono samples), or nil; with the earlier label it renamed,
    /// when this utterance showed a voice heard before to be an enrolled speaker's.
    func label(_ samples: [Float]) async -> StreamSpeakerTracker.Labelled? {
        do {
            let embedding = try await model.embedding(samples: samples)
            let enrolled = try await store.enrolledSpeakers()
            return tracker.label(of: embedding, seconds: Double(samples.count) / 16_000, enrolled: enrolled)
        } catch {
            logger.warning("could not label an utterance's speaker", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
