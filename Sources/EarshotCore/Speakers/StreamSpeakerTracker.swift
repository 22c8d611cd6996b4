/// Names the speaker of each utterance of a live stream as it ends, from its voice embedding alone:
/// a stream has no end to wait for, so speakers cannot be clustered after the fact as a recording's
/// are. Each utterance joins the stream voice it is most alike (and that voice's centroid moves
/// towards it), or, when none is alike enough, becomes a new voice "Speaker N". An utterance that
/// is an enrolled speaker's voice takes the enrolled name. A voice first heard unnamed and linked
/// to an enrolled speaker later takes the name from then on, and the caller is told to rename its
/// earlier utterances (``Labelled/renamedFrom``), so a speaker never appears under two names.
///
/// Utterances shorter than ``minimumNewVoiceSeconds`` are too short for a reliable embedding: they
/// join a voice they match but never start one, so a cough does not become "Speaker 7".
public struct StreamSpeakerTracker: Sendable {
    /// One voice heard on the stream.
    public struct Voice: Sendable, Hashable {
        /// What drafts of this voice are labelled: the enrolled name, or "Speaker N".
        public var label: String
        /// The unit-length mean of its utterances' embeddings, weighted by their length.
        public var centroid: [Float]
        /// Seconds of its utterances so far.
        public var seconds: Double
        /// The enrolled speaker it was recognised as, if any.
        public var enrolledId: String?
    }

    /// The similarity at or above which an utterance is taken for a voice already heard. Lower than
    /// the enrolment threshold: one short utterance's embedding is noisier than a recording's
    /// speaker centroid. Measured on the pocketsphinx voices' clips: the same voice 0.74–0.95,
    /// different voices 0.60–0.82 (the diarization tests' `StreamSpeakerTrackerTests`).
    public static let defaultSameVoiceThreshold = 0.80
    /// Utterances shorter than this never start a voice of their own.
    public static let minimumNewVoiceSeconds = 1.0

    /// The voices heard so far, in order of first appearance.
    public private(set) var voices: [Voice] = []
    let sameVoiceThreshold: Double
    let enrolledThreshold: Double

    /// An utterance's label, and the rename it caused.
    public struct Labelled: Sendable, Hashable {
        /// Who spoke the utterance: an enrolled name or "Speaker N".
        public var speaker: String
        /// Set when this utterance linked a voice heard before to an enrolled speaker: that
        /// voice's earlier utterances were labelled with this ("Speaker N") and are now `speaker`'s.
        public var renamedFrom: String?

        public init(speaker: String, renamedFrom: String? = nil) {
            self.speaker = speaker
            self.renamedFrom = renamedFrom
        }
    }

    /// - Parameters:
    ///   - sameVoiceThreshold: how alike an utterance and a stream voice must be to be one person.
    ///   - enrolledThreshold: how alike an utterance and an enrolled voice must be to take its name.
    public init(sameVoiceThreshold: Double = defaultSameVoiceThreshold, enrolledThreshold: Double = SpeakerRecognition.defaultThreshold) {
        self.sameVoiceThreshold = sameVoiceThreshold
        self.enrolledThreshold = enrolledThreshold
    }

    /// The label of an utterance `seconds` long with voice `embedding`; nil for a short utterance
    /// that matches no voice. ``label(of:seconds:enrolled:)`` also says which earlier label it renamed.
    public mutating func speaker(of embedding: [Float], seconds: Double, enrolled: [EnrolledSpeaker]) -> String? {
        label(of: embedding, seconds: seconds, enrolled: enrolled)?.speaker
    }

    /// The label of an utterance `seconds` long with voice `embedding`; nil for a short utterance
    /// that matches no voice.
    ///
    /// An utterance alike an enrolled voice joins the stream voice already linked to it, or links
    /// the stream voice it is most alike. A stream voice whose centroid, grown over several
    /// utterances, becomes alike an enrolled voice is linked then: one utterance's embedding may
    /// fall short of the threshold that a few together reach. Either link renames the voice.
    /// A new unnamed voice takes the lowest "Speaker N" no voice holds now: a number a renamed voice
    /// left is used again, and no other voice is renumbered (a label changes only to become a name).
    public mutating func label(of embedding: [Float], seconds: Double, enrolled: [EnrolledSpeaker]) -> Labelled? {
        let closest = closestVoice(to: embedding)
        if let known = SpeakerRecognition.match(embedding, among: enrolled, threshold: enrolledThreshold) {
            let index: Int
            if let linked = voices.firstIndex(where: { $0.enrolledId == known.speaker.id }) {
                index = linked
            } else if let closest, voices[closest].enrolledId == nil {
                index = closest
            } else {
                index = appendVoice(label: known.speaker.name, embedding: embedding, seconds: 0)
            }
            let renamed = link(index, to: known.speaker)
            absorb(embedding, seconds: seconds, into: index)
            return Labelled(speaker: voices[index].label, renamedFrom: renamed)
        }
        if let closest {
            absorb(embedding, seconds: seconds, into: closest)
            var renamed: String?
            if voices[closest].enrolledId == nil,
               let known = SpeakerRecognition.match(voices[closest].centroid, among: enrolled, threshold: enrolledThreshold),
               !voices.contains(where: { $0.enrolledId == known.speaker.id }) {
                renamed = link(closest, to: known.speaker)
            }
            return Labelled(speaker: voices[closest].label, renamedFrom: renamed)
        }
        guard seconds >= Self.minimumNewVoiceSeconds else { return nil }
        let taken = Set(voices.map(\.label))
        let number = (1...).first { !taken.contains("Speaker \($0)") } ?? voices.count + 1
        let index = appendVoice(label: "Speaker \(number)", embedding: embedding, seconds: seconds)
        return Labelled(speaker: voices[index].label)
    }

    /// The voice most alike `embedding`, if alike enough to be the same person.
    private func closestVoice(to embedding: [Float]) -> Int? {
        let best = voices.indices
            .map { ($0, SpeakerRecognition.cosine(embedding, voices[$0].centroid)) }
            .max { $0.1 < $1.1 }
        guard let best, best.1 >= sameVoiceThreshold else { return nil }
        return best.0
    }

    /// Links a voice to an enrolled speaker; the label it had before, if it changed.
    private mutating func link(_ index: Int, to speaker: EnrolledSpeaker) -> String? {
        let before = voices[index]
        voices[index].enrolledId = speaker.id
        voices[index].label = speaker.name
        return before.seconds > 0 && before.label != speaker.name ? before.label : nil
    }

    /// A new voice, not yet linked to an enrolled speaker (``link(_:to:)`` does that).
    private mutating func appendVoice(label: String, embedding: [Float], seconds: Double) -> Int {
        voices.append(Voice(label: label, centroid: embedding, seconds: seconds, enrolledId: nil))
        return voices.count - 1
    }

    private mutating func absorb(_ embedding: [Float], seconds: Double, into index: Int) {
        let voice = voices[index]
        if voice.seconds > 0 {
            voices[index].centroid = SpeakerRecognition.merged(voice.centroid, weight: voice.seconds, embedding, weight: seconds)
        }
        voices[index].seconds += seconds
    }
}
