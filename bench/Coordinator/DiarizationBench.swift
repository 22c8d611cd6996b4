// earshot-bench diarization: what diarization costs next to transcription, on the same file.
//
// Material: three-voice conversations built from pocketsphinx-testdata (the test suite's recipe;
// ~1 and ~5 minutes), and one voice alone (the LibriVox reader's clips, ~2 minutes). Per file:
//   transcribe   `earshot transcribe --format json` (release build, the default engine and model):
//                the job's processing_seconds, median of the repeats — the baseline of every ratio;
//   diarizer     Diarizer.diarize in this process on the same samples (best of 3): the engine alone;
//   with --diarize  the same command with --diarize: what a diarization job costs end to end (the
//                diarizer plus, when it finds more than one speaker, word timestamps, which diarization
//                asks of the engine to cut segments at speaker changes);
//   DER          of the diarizer against the conversation's turns (collar 0.25 s), and speakers found.

import EarshotDiarization
import EarshotDiarizationEvaluation
import Foundation

struct DiarizationBenchOptions {
    var earshot = ".build/release/earshot"
    var docsPath = "docs/benchmarks.md"
    var writeDocs = true
    var repeats = 3
    var keepDirectory: String?

    static let usage = """
        usage: earshot-bench diarization [--earshot PATH] [--repeat N] [--keep DIR] [--docs PATH | --no-docs]
          --keep DIR   write the conversations (WAV) and their turns (RTTM) there and keep them
        """

    static func parse(_ arguments: [String]) throws -> DiarizationBenchOptions {
        var options = DiarizationBenchOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--earshot": options.earshot = try value(&rest, argument)
            case "--docs": options.docsPath = try value(&rest, argument)
            case "--no-docs": options.writeDocs = false
            case "--keep": options.keepDirectory = try value(&rest, argument)
            case "--repeat":
                guard let count = Int(try value(&rest, argument)), count >= 1 else { throw UsageError("--repeat must be 1 or more") }
                options.repeats = count
            default: throw UsageError("unknown argument \(argument)\n\(usage)")
            }
        }
        return options
    }

    private static func value(_ rest: inout ArraySlice<String>, _ name: String) throws -> String {
        guard let value = rest.popFirst() else { throw UsageError("\(name) needs a value") }
        return value
    }
}

struct DiarizationBenchRow {
    var name: String
    var seconds: Double
    var transcribe: Double
    var withDiarize: Double
    var diarizer: Double
    var der: Double
    var speakers: Int
    var referenceSpeakers: Int
}

func runDiarizationBench(_ options: DiarizationBenchOptions) async throws {
    let directory = options.keepDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("earshot-diarization-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { if options.keepDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
    let diarizer = Diarizer(weights: try SpeakerModelFiles().weights())

    // The one-voice file repeats five clips, so each clip's windows form a tight group of their own
    // and the count found from the audio is 2; it says `max_speakers 1`, as a lecture's uploader
    // would, since it measures what a one-speaker job costs, not the count.
    let materials: [(name: String, maxSpeakers: Int?, make: () throws -> (samples: [Float], reference: [LabelledSegment]))] = [
        ("1-minute", nil, { try conversation(seconds: PocketsphinxConversation.secondsPerVoice) }),
        ("5-minute", nil, { try conversation(seconds: 95) }),
        ("1 voice, 2-minute (max 1)", 1, { try oneVoice(rounds: 4) }),
    ]
    var rows: [DiarizationBenchRow] = []
    for material in materials {
        let conversation = try material.make()
        let fileName = String(material.name.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        let file = directory.appendingPathComponent("\(fileName).wav")
        try AudioFile.wavData(conversation.samples).write(to: file)
        try RTTM.text(conversation.reference, uri: material.name)
            .write(to: directory.appendingPathComponent("\(fileName).rttm"), atomically: true, encoding: .utf8)
        let seconds = Double(conversation.samples.count) / 16_000
        log("\(material.name): \(format(seconds, 1)) s of audio, \(conversation.reference.count) turns")

        var best = Double.infinity
        var result = DiarizationResult.empty
        for _ in 0..<options.repeats {
            let started = ContinuousClock.now
            result = try diarizer.diarize(conversation.samples, speakers: SpeakerCountHint(maximum: material.maxSpeakers))
            best = min(best, (ContinuousClock.now - started).seconds)
        }
        let der = DiarizationErrorRate(reference: conversation.reference, result: result, collar: 0.25)
        log("  diarizer \(format(best, 3)) s, DER \(format(100 * der.rate, 2)) %, \(result.speakers.count) speakers")

        // Alternating, median of the repeats: one run of a shared machine's engine is too noisy to compare.
        var plainRuns: [Double] = []
        var diarizedRuns: [Double] = []
        for _ in 0..<options.repeats {
            plainRuns.append(try transcriptionSeconds(options.earshot, file, diarize: false))
            diarizedRuns.append(try transcriptionSeconds(options.earshot, file, diarize: true, maxSpeakers: material.maxSpeakers))
        }
        let plain = median(plainRuns)
        let diarized = median(diarizedRuns)
        log("  transcribe \(plainRuns.map { format($0, 2) }) s, with --diarize \(diarizedRuns.map { format($0, 2) }) s")
        rows.append(DiarizationBenchRow(
            name: material.name, seconds: seconds, transcribe: plain, withDiarize: diarized, diarizer: best,
            der: der.rate, speakers: result.speakers.count, referenceSpeakers: der.referenceSpeakers
        ))
    }
    let stream = try streamSpeakersRow(diarizer: diarizer, earshot: options.earshot, repeats: options.repeats, directory: directory)
    let section = diarizationSection(rows, stream: stream, options: options)
    print(section)
    if options.writeDocs {
        try DocsSection.replace(start: "<!-- bench:diarization:start -->", end: "<!-- bench:diarization:end -->", with: section, in: options.docsPath)
        log("wrote \(options.docsPath)")
    }
}

private func conversation(seconds: Double) throws -> (samples: [Float], reference: [LabelledSegment]) {
    let made = try PocketsphinxConversation.make(material: .cycled(seconds: seconds))
    return (made.samples, made.reference)
}

/// The LibriVox reader's clips (held-out one included), `rounds` times over, 0.5 s apart: one
/// speaker, so a diarization job should need no word timestamps.
private func oneVoice(rounds: Int) throws -> (samples: [Float], reference: [LabelledSegment]) {
    let reader = PocketsphinxConversation.voices[0].clips + [PocketsphinxConversation.heldOut[0]]
    let clips = try reader.map(PocketsphinxConversation.audio)
    var samples: [Float] = []
    var reference: [LabelledSegment] = []
    for _ in 0..<rounds {
        for clip in clips {
            let start = Double(samples.count) / 16_000
            samples += clip
            reference.append(LabelledSegment(start: start, end: Double(samples.count) / 16_000, label: "librivox"))
            samples += [Float](repeating: 0, count: 8_000)
        }
    }
    return (samples, reference)
}

private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// `earshot transcribe`'s processing time for `file`, without diarization.
func diarizationBenchTranscriptionSeconds(_ earshot: String, _ file: URL) throws -> Double {
    try transcriptionSeconds(earshot, file, diarize: false)
}

/// The job's own processing time as the transcript reports it (model load excluded).
private func transcriptionSeconds(_ earshot: String, _ file: URL, diarize: Bool, maxSpeakers: Int? = nil) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: earshot)
    process.arguments = ["transcribe", "--format", "json", file.path] + (diarize ? ["--diarize"] : [])
        + (maxSpeakers.map { ["--max-speakers", String($0)] } ?? [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let seconds = json["processing_seconds"] as? Double
    else { throw UsageError("\(earshot) transcribe failed (status \(process.terminationStatus)) on \(file.path)") }
    return seconds
}

private func diarizationSection(_ rows: [DiarizationBenchRow], stream: StreamSpeakersRow, options: DiarizationBenchOptions) -> String {
    let machine = MachineInfo.current(dataDirectory: FileManager.default.temporaryDirectory)
    var lines = [
        "<!-- bench:diarization:start -->",
        "## Diarization: its cost next to transcription",
        "",
        "- Date: \(DocsSection.utcDate()); machine: \(machine.summary); build: \(benchBuildConfiguration())",
        "- Material: three-voice conversations from pocketsphinx-testdata (the test suite's recipe, seed \(PocketsphinxConversation.defaultSeed); the LibriVox reader, the `cards` speaker, the goforward/numbers speaker; phrases recur in the longer one), and the LibriVox reader alone (the reader's five clips four times over, 0.5 s apart).",
        "- *Transcribe*: `earshot transcribe --format json` with the default engine and model (faster-whisper tiny.en), the job's `processing_seconds`, median of \(options.repeats) runs alternating with the next column — the baseline. *Diarizer*: the Swift diarizer alone on the same samples, best of \(options.repeats), one thread (OpenBLAS pinned to 1). *With --diarize*: the same command with `--diarize`, which adds the diarizer and — when it finds more than one speaker — word timestamps (asked of the engine to cut segments where the speaker changes). DER: collar 0.25 s, against the conversation's turns.",
        "",
        "| Recording | Audio (s) | Transcribe (s) | Diarizer (s) | Diarizer / transcribe | With --diarize (s) | Extra / transcribe | Diarizer ms per audio s | DER | Speakers (ref) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows {
        lines.append(
            "| \(row.name) | \(format(row.seconds, 1)) | \(format(row.transcribe, 2)) | \(format(row.diarizer, 3)) | \(format(100 * row.diarizer / row.transcribe, 1)) % | "
                + "\(format(row.withDiarize, 2)) | \(format(100 * (row.withDiarize - row.transcribe) / row.transcribe, 1)) % | "
                + "\(format(1000 * row.diarizer / row.seconds, 2)) | \(format(100 * row.der, 1)) % | \(row.speakers) (\(row.referenceSpeakers)) |"
        )
    }
    lines += streamSpeakersLines(stream)
    lines += [
        "",
        "Target: diarization ≤ 10 % of transcription time on the same file. Reproduce with `make bench-diarization`.",
        "<!-- bench:diarization:end -->",
    ]
    return lines.joined(separator: "\n")
}
