import Foundation

/// Word error rate: (substitutions + deletions + insertions) / reference words, after the usual
/// normalisation (case, punctuation, hyphens, a few spelled-out abbreviations).
enum WordErrorRate {
    static func normalize(_ text: String) -> [String] {
        let spelled = ["mr": "mister", "mrs": "missus", "dr": "doctor"]
        let lowered = text.lowercased().replacingOccurrences(of: "-", with: " ")
        let cleaned = String(lowered.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "'" ? Character($0) : " " })
        return cleaned.split(separator: " ").map { spelled[String($0)] ?? String($0) }
    }

    /// Edit distance between the word sequences, and the reference length.
    static func errors(reference: String, hypothesis: String) -> (errors: Int, words: Int) {
        let ref = normalize(reference)
        let hyp = normalize(hypothesis)
        var previous = Array(0...hyp.count)
        for (i, refWord) in ref.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: hyp.count)
            for (j, hypWord) in hyp.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (refWord == hypWord ? 0 : 1))
            }
            previous = current
        }
        return (previous[hyp.count], ref.count)
    }
}
