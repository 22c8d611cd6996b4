import ArgumentParser
import EarshotCore
import EarshotDiarization
import EarshotEngine
import EarshotWhisperCpp
import EarshotNode
import EarshotStore
import Foundation
import Logging

/// `earshot transcribe`: the server's pipeline (store, queue, worker, engine) run in-process.
struct TranscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Transcribe files without a server.",
        discussion: """
            Runs the same queue, worker and engine as `earshot serve`, in this process, with a \
            store in a temporary directory (or --data-dir). Prints the text to stdout, or writes \
            one file per input to --output-dir. Exits non-zero if any file fails, with one line \
            per failure on stderr.
            """
    )

    @Argument(help: "Audio or video files (anything ffmpeg reads).")
    var files: [String]

    @Option(help: "Output format: json, srt, vtt, txt or md (default: plain text on stdout).")
    var format: ExportFormat?

    @Option(name: [.short, .customLong("output-dir")], help: "Write <name>.<format> files into this directory.")
    var outputDirectory: String?

    @Option(help: "Model: tiny.en or base, or a model path (a CTranslate2 directory; a ggml file for whisper.cpp).")
    var model = "tiny.en"

    @Option(help: "Language code (e.g. en); omit to detect with a multilingual model.")
    var language: String?

    @Option(help: "Beam size, 1-10.")
    var beamSize = 5

    @Flag(help: "Include word timestamps (JSON output).")
    var wordTimestamps = false

    @Flag(help: "Tell the speakers apart: segments and words get speaker labels (output names them).")
    var diarize = false

    @Option(help: "At least this many speakers, 1-20 (implies --diarize).")
    var minSpeakers: Int?

    @Option(help: "At most this many speakers, 1-20 (implies --diarize; default: up to 8, found from the audio).")
    var maxSpeakers: Int?

    @Option(help: "Keep the store here instead of a temporary directory.")
    var dataDir: String?

    @Option(help: "Speech engine: faster-whisper (a Python process) or whisper.cpp (in process, no Python needed).")
    var engine: EngineKind = .fasterWhisper

    @Option(help: "Python interpreter with faster-whisper (default: EARSHOT_PYTHON, ./.venv/bin/python, python3).")
    var python: String?

    @Option(help: "CPU threads for the engine (default: all cores).")
    var threads: Int?

    @Option(help: "Log level for diagnostics on stderr.")
    var logLevel = "warning"

    func validate() throws {
        guard (1...10).contains(beamSize) else { throw ValidationError("--beam-size must be 1...10") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let language, !(2...3).contains(language.count) { throw ValidationError("--language must be a code such as 'en'") }
        let range = DiarizationOptions.speakerRange
        for (flag, value) in [("--min-speakers", minSpeakers), ("--max-speakers", maxSpeakers)] {
            if let value, !range.contains(value) { throw ValidationError("\(flag) must be \(range.lowerBound)...\(range.upperBound)") }
        }
        if let minSpeakers, let maxSpeakers, minSpeakers > maxSpeakers {
            throw ValidationError("--min-speakers (\(minSpeakers)) is more than --max-speakers (\(maxSpeakers))")
        }
    }

    /// What --diarize, --min-speakers and --max-speakers ask for; nil: no diarization.
    private var diarization: DiarizationOptions? {
        guard diarize || minSpeakers != nil || maxSpeakers != nil else { return nil }
        return DiarizationOptions(minSpeakers: minSpeakers, maxSpeakers: maxSpeakers)
    }

    func run() async throws {
        let logger = try LoggingSetup.bootstrap(level: logLevel)
        let session = try TranscriptionSession(dataDir: dataDir, logger: logger)
        defer { session.cleanUp() }

        var failures: [String] = []
        var queued: [(path: String, job: Job)] = []
        var diarizer: ResemblyzerDiarizer?
        if diarization != nil {
            let model = SpeakerModelFiles()
            guard model.isInstalled else {
                FileHandle.standardError.write(Data("earshot: --diarize needs the speaker model: \(SpeakerModelFiles.checkpointPath) is in none of [\(model.packageDirectories.map(\.path).joined(separator: ", "))]; run scripts/setup.sh\n".utf8))
                throw ExitCode.failure
            }
            diarizer = ResemblyzerDiarizer(model: model, logger: logger)
        }
        var options = TranscriptionOptions(model: model, language: language, beamSize: beamSize, wordTimestamps: wordTimestamps)
        options.diarization = diarization
        for path in files {
            do {
                queued.append((path, try await session.enqueue(path: path, options: options)))
            } catch {
                failures.append("\(path): \(error)")
            }
        }

        if !queued.isEmpty {
            let recognizer = RecognizerFactory(
                engine: engine, python: python ?? FasterWhisperConfiguration.defaultPython, modelsDirectory: Self.modelCache,
                defaultModel: model, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount
            ).makeRecognizer(logger: logger)
            // Load the model before the clock starts, so the real-time factor shown is the engine's.
            try await recognizer.prepare()
            let progress = ProgressDisplay(labels: queued.map { URL(fileURLWithPath: $0.path).lastPathComponent })
            let finished = try await session.run(jobs: queued.map(\.job.id), recognizer: recognizer, diarizer: diarizer) { jobs in
                progress.update(jobs)
            }
            progress.finish()
            await recognizer.shutdown()
            for (path, job) in queued {
                guard let final = finished[job.id] else { continue }
                if final.state == .succeeded, let transcript = try await session.store.transcript(of: job.id) {
                    do {
                        try write(transcript, for: path, multiple: queued.count > 1)
                    } catch {
                        failures.append("\(path): could not write output: \(error)")
                    }
                } else {
                    failures.append("\(path): \(final.lastError.map { "\($0.code): \($0.message)" } ?? final.state.rawValue)")
                }
            }
        }
        for failure in failures {
            FileHandle.standardError.write(Data("earshot: \(failure)\n".utf8))
        }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    private func write(_ transcript: Transcript, for path: String, multiple: Bool) throws {
        if let outputDirectory {
            let chosen = format ?? .txt
            let directory = URL(fileURLWithPath: outputDirectory, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let destination = directory.appendingPathComponent("\(stem).\(chosen.fileExtension)")
            try Data(ExportFormat.render(transcript, as: chosen).utf8).write(to: destination, options: .atomic)
        } else {
            // With speakers, plain text is the TXT export, which names each speaker's turn.
            let chosen = format ?? (transcript.speakers.isEmpty ? nil : .txt)
            var text = chosen.map { ExportFormat.render(transcript, as: $0) } ?? transcript.plainText + "\n"
            if multiple { text = "==> \(path) <==\n" + text }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Assembled models are cached across runs, so `base` is put together only once per machine.
    static var modelCache: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("earshot/models", isDirectory: true)
    }
}

extension ExportFormat: ExpressibleByArgument {}
