import Foundation

/// The three-speaker test conversation built only from Debian's pocketsphinx-testdata voices:
/// the LibriVox reader, the `cards` speaker, and the goforward/numbers/something speaker (one man,
/// per the prototype's embedding check). One clip per voice is held out for the enrollment check.
///
/// Each voice talks for about 15 s (``secondsPerVoice``); the `cards` (6.2 s) and `numbers` (6.8 s)
/// material is shorter, so their phrases recur about twice, as the prototype's assemblies also
/// reused phrases when a source ran out. Using every phrase once instead makes the LibriVox reader
/// 55–60 % of the speech, and the recipe then merges the two similar minor voices (cards and numbers,
/// 1 s-window centroid cosine 0.80–0.85) in 38 of 40 seeds: the p-pruned affinity keeps ceil(0.2·n)
/// neighbours per window, more than either minor voice has windows. The numpy prototype does the same.
public enum PocketsphinxConversation {
    /// Where pocketsphinx-testdata installs its audio.
    public static let directory = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data")
    /// Clips per voice used in the conversation.
    public static let voices: [(name: String, clips: [String])] = [
        ("librivox", ["0870", "0880", "0890", "0930"].map { "librivox/sense_and_sensibility_01_austen_64kb-\($0).wav" }),
        ("cards", ["001", "002", "003", "004"].map { "cards/\($0).wav" }),
        ("numbers", ["goforward.raw", "numbers.raw"]),
    ]
    /// Held-out clip per voice (same order as `voices`).
    public static let heldOut = [
        "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
        "cards/005.wav",
        "something.raw",
    ]
    /// The seed of the test conversation.
    public static let defaultSeed: UInt64 = 2024
    /// Speech per voice in the test conversation.
    public static let secondsPerVoice = 15.0

    /// Every clip of `voices`, one voice's after another's in turn (librivox, cards, numbers,
    /// librivox, …) until all are used: a stream's utterances, each of one voice.
    public static func clipsInTurn(voices: [(name: String, clips: [String])] = voices) throws -> [(voice: String, samples: [Float])] {
        var queues = voices.map(\.clips)
        var order: [(String, [Float])] = []
        while queues.contains(where: { !$0.isEmpty }) {
            for index in queues.indices where !queues[index].isEmpty {
                order.append((voices[index].name, try audio(queues[index].removeFirst())))
            }
        }
        return order
    }

    /// Samples of a pocketsphinx-testdata file.
    public static func audio(_ relativePath: String) throws -> [Float] {
        try AudioFile.read(directory.appendingPathComponent(relativePath))
    }

    /// The conversation for `seed`.
    public static func make(
        seed: UInt64 = defaultSeed, voices: [(name: String, clips: [String])] = voices, material: Conversation.Material = .cycled(seconds: secondsPerVoice),
        turnSeconds: ClosedRange<Double> = 2...8
    ) throws -> Conversation {
        let voices = try voices.map { voice in
            Conversation.Voice(name: voice.name, clips: try voice.clips.map(audio))
        }
        return Conversation(voices: voices, seed: seed, material: material, turnSeconds: turnSeconds)
    }
}
