import EarshotCore
import EarshotEngine
import Foundation

/// Where the speaker encoder's weights come from: the pip package `resemblyzer` carries
/// `pretrained.pt`, a legacy PyTorch checkpoint that ``LegacyTorchCheckpoint`` reads without PyTorch
/// (installed `--no-deps` by scripts/setup.sh from engine/model-files.txt).
public struct SpeakerModelFiles: Sendable, Hashable {
    /// The `site-packages` directories to look in.
    public var packageDirectories: [URL]

    /// Files found in `packageDirectories` (by default those of ``ModelPackages``).
    public init(packageDirectories: [URL] = ModelPackages.directories) {
        self.packageDirectories = packageDirectories
    }

    /// The checkpoint's path inside a `site-packages` directory.
    public static let checkpointPath = "resemblyzer/pretrained.pt"

    /// The checkpoint, when installed.
    public var checkpoint: URL? { ModelPackages.file(Self.checkpointPath, in: packageDirectories) }

    /// Whether the weights are here: what decides if a process takes diarization jobs.
    public var isInstalled: Bool { checkpoint != nil }

    /// The weights, read from the checkpoint (about 17 MB; well under a second).
    public func weights() throws(DiarizationError) -> VoiceEncoderWeights {
        guard let checkpoint else {
            throw DiarizationError(
                "the speaker model is not installed: \(Self.checkpointPath) is in none of [\(packageDirectories.map(\.path).joined(separator: ", "))]; run scripts/setup.sh (it installs the pip package resemblyzer without its dependencies)"
            )
        }
        let data: Data
        do {
            data = try Data(contentsOf: checkpoint)
        } catch {
            throw DiarizationError("cannot read \(checkpoint.path): \(error.localizedDescription)")
        }
        let tensors: [CheckpointTensor]
        do {
            tensors = try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state")
        } catch {
            throw DiarizationError("\(checkpoint.path): \(error)")
        }
        let named = Dictionary(tensors.map { ($0.name, (shape: $0.shape, values: $0.values)) }, uniquingKeysWith: { first, _ in first })
        return try VoiceEncoderWeights(tensors: named)
    }
}
