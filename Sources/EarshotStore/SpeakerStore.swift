import EarshotCore
import Foundation

/// The speakers of diarized transcripts, and the enrolled voices recognised in new recordings.
/// Every change to a transcript's speakers appends `transcript.speakers_changed`.
public protocol SpeakerStore: Sendable {
    /// Enrolled speakers, by name.
    func enrolledSpeakers() async throws -> [EnrolledSpeaker]
    /// Keeps a voice under a name; when it comes from a transcript's speaker (`jobId`, `speakerId`),
    /// that speaker is linked to it. Throws ``StoreError/duplicateSpeakerName(_:)``.
    func enrollSpeaker(_ speaker: EnrolledSpeaker, fromTranscript jobId: JobID?, speakerId: String?, now: Date) async throws -> EnrolledSpeaker
    /// Renames an enrolled speaker; every transcript that recognised them shows the new name.
    func renameEnrolledSpeaker(_ id: String, name: String) async throws -> EnrolledSpeaker
    /// Forgets a voice; transcripts keep their speakers, no longer named after it.
    func deleteEnrolledSpeaker(_ id: String) async throws
    /// Gives a transcript's speaker a name (nil: none, back to the enrolled name or "Speaker N").
    func renameTranscriptSpeaker(_ jobId: JobID, speakerId: String, name: String?, now: Date) async throws -> Transcript
    /// Makes `speakerId` part of `intoId`: its segments and words, its speech time, and its voice
    /// (the centroids averaged by speech time). Throws ``StoreError/speakerNotFound(_:_:)``.
    func mergeTranscriptSpeakers(_ jobId: JobID, speakerId: String, intoId: String, now: Date) async throws -> Transcript
}
