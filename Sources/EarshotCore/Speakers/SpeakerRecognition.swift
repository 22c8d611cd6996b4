/// Which enrolled speaker a voice is, by the cosine similarity of unit-length embeddings.
public enum SpeakerRecognition {
    /// The similarity at or above which two centroids are taken for the same person. Measured on
    /// the Resemblyzer encoder with 1 s windows: the same speaker 0.93–0.99, different speakers at
    /// most 0.87 (docs/benchmarks.md, "Speaker diarization").
    public static let defaultThreshold = 0.90

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var dot = 0.0, normA = 0.0, normB = 0.0
        for index in a.indices {
            dot += Double(a[index]) * Double(b[index])
            normA += Double(a[index]) * Double(a[index])
            normB += Double(b[index]) * Double(b[index])
        }
        guard normA > 0, normB > 0 else { return 0 }
        return dot / (normA.squareRoot() * normB.squareRoot())
    }

    /// The best-matching enrolled speaker at or above `threshold`, and the similarity.
    public static func match(_ embedding: [Float], among enrolled: [EnrolledSpeaker], threshold: Double) -> (speaker: EnrolledSpeaker, similarity: Double)? {
        enrolled.map { ($0, cosine(embedding, $0.embedding)) }.filter { $0.1 >= threshold }.max { $0.1 < $1.1 }
    }

    /// The transcript with each of its speakers that has no enrolled match yet matched against
    /// `enrolled`. Two speakers of one recording are never given the same enrolled speaker: the
    /// closer one keeps it.
    public static func recognizing(_ transcript: Transcript, among enrolled: [EnrolledSpeaker], threshold: Double) -> Transcript {
        var transcript = transcript
        var claims: [String: (index: Int, similarity: Double)] = [:]
        for (index, speaker) in transcript.speakers.enumerated() where speaker.enrolledId == nil {
            guard let embedding = speaker.embedding, let found = match(embedding, among: enrolled, threshold: threshold) else { continue }
            if let earlier = claims[found.speaker.id], earlier.similarity >= found.similarity { continue }
            claims[found.speaker.id] = (index, found.similarity)
        }
        for (enrolledId, claim) in claims {
            transcript.speakers[claim.index].enrolledId = enrolledId
            transcript.speakers[claim.index].enrolledName = enrolled.first { $0.id == enrolledId }?.name
        }
        return transcript
    }

    /// The unit-length mean of two centroids weighted by speech time: two speakers merged into one.
    public static func merged(_ a: [Float], weight wa: Double, _ b: [Float], weight wb: Double) -> [Float] {
        guard a.count == b.count else { return a }
        let total = max(wa + wb, 1e-9)
        var mean = zip(a, b).map { Double($0) * wa / total + Double($1) * wb / total }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { mean = mean.map { $0 / norm } }
        return mean.map(Float.init)
    }
}
