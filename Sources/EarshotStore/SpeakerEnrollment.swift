import EarshotCore

/// Recognising enrolled speakers in a finished transcript, wherever it is completed (a built-in
/// worker or a node's upload), before it is stored.
public enum SpeakerEnrollment {
    /// The transcript with its speakers matched against the enrolled ones (no store read when it
    /// has no speakers).
    public static func recognizing(_ transcript: Transcript, store: any SpeakerStore, threshold: Double) async throws -> Transcript {
        guard transcript.speakers.contains(where: { $0.embedding != nil }) else { return transcript }
        let enrolled = try await store.enrolledSpeakers()
        guard !enrolled.isEmpty else { return transcript }
        return SpeakerRecognition.recognizing(transcript, among: enrolled, threshold: threshold)
    }
}
