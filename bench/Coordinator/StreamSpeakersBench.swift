// Part of `earshot-bench diarization`: what labelling a live stream's speakers costs next to
// transcribing the same utterances, and how many it labels right.
//
// Material: the pocketsphinx voices' clips in turn (LibriVox reader, `cards`, goforward/numbers, …),
// each an utterance, as the end-to-end test's radio station plays them. The baseline is
// `earshot transcribe` of all of them in one file; the stream's cost is one voice embedding per
// utterance (best of the repeats), which a stream computes while the live engine transcribes.

import EarshotCore
import EarshotDiarization
import EarshotDiarizationEvaluation
import Foundation

struct StreamSpeakersRow {
    var utterances: Int
    var seconds: Double
    var transcribe: Double
    var embedding: Double
    var slowestUtterance: Double
    var labelledRight: Int
    var voices: Int
}

/// The clips in turn, their voices, and one file of them all (0.5 s apart) for the baseline.
func streamSpeakersRow(diarizer: Diarizer, earshot: String, repeats: Int, directory: URL) throws -> StreamSpeakersRow {
    let utterances = try PocketsphinxConversation.clipsInTurn()
    let joined = utterances.flatMap { $0.samples + [Float](repeating: 0, count: 8_000) }
    let file = directory.appendingPathComponent("stream-utterances.wav")
    try AudioFile.wavData(joined).write(to: file)

    var best = Double.infinity
    var slowest = 0.0
    var embeddings: [[Float]] = []
    for _ in 0..<repeats {
        var total = 0.0
        var longest = 0.0
        embeddings = []
        for utterance in utterances {
            let started = ContinuousClock.now
            embeddings.append(try diarizer.embedding(of: utterance.samples))
            let elapsed = (ContinuousClock.now - started).seconds
            total += elapsed
            longest = max(longest, elapsed)
        }
        if total < best {
            best = total
            slowest = longest
        }
    }
    var tracker = StreamSpeakerTracker()
    var labels: [(voice: String, label: String?)] = []
    for (utterance, embedding) in zip(utterances, embeddings) {
        labels.append((utterance.voice, tracker.speaker(of: embedding, seconds: Double(utterance.samples.count) / 16_000, enrolled: [])))
    }
    // Right: the label most of the voice's utterances carry, and no other voice's majority label.
    var majority: [String: String?] = [:]
    for (voice, group) in Dictionary(grouping: labels, by: \.voice) {
        let counts = Dictionary(grouping: group.map(\.label), by: { $0 }).mapValues(\.count)
        majority[voice] = counts.max { $0.value < $1.value }?.key ?? nil
    }
    let distinct = Set(majority.values.compactMap { $0 }).count == majority.count
    let right = distinct ? labels.filter { $0.label != nil && majority[$0.voice] == $0.label }.count : 0

    let runs = try (0..<repeats).map { _ in try diarizationBenchTranscriptionSeconds(earshot, file) }
    let sorted = runs.sorted()
    log("stream utterances: embeddings \(format(best, 3)) s, transcribe \(runs.map { format($0, 2) }) s, labels \(labels.map { $0.label ?? "-" })")
    return StreamSpeakersRow(
        utterances: utterances.count, seconds: Double(utterances.reduce(0) { $0 + $1.samples.count }) / 16_000,
        transcribe: sorted[sorted.count / 2], embedding: best, slowestUtterance: slowest, labelledRight: right,
        voices: Set(tracker.voices.map(\.label)).count
    )
}

func streamSpeakersLines(_ row: StreamSpeakersRow) -> [String] {
    [
        "",
        "Live streams (`diarize: true`): one voice embedding per utterance, computed while the live engine transcribes it. Material: the three voices' \(row.utterances) clips in turn, each an utterance; *Transcribe*: `earshot transcribe` of them all in one file (0.5 s apart), median — the baseline; *Embeddings*: every utterance's embedding, best of the repeats; *Right*: utterances labelled with their voice's label (each voice's labels by majority, distinct).",
        "",
        "| Utterances | Speech (s) | Transcribe (s) | Embeddings (s) | Embeddings / transcribe | Slowest utterance (ms) | Voices found | Right |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| \(row.utterances) | \(format(row.seconds, 1)) | \(format(row.transcribe, 2)) | \(format(row.embedding, 3)) | \(format(100 * row.embedding / row.transcribe, 1)) % | "
            + "\(format(1000 * row.slowestUtterance, 0)) | \(row.voices) | \(row.labelledRight)/\(row.utterances) |",
    ]
}
