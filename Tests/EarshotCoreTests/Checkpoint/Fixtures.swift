import EarshotCore
import Foundation

/// The Resemblyzer 0.1.4 checkpoint as the setup installs it (pip `resemblyzer`, no dependencies, into
/// `.venv`), and what reading it must give: the tensors' names and shapes, and the SHA-256 of all their
/// values back to back (float32, little-endian, C order), taken from an independent reading with Python's
/// own pickle module (`convert.py` of the diarization prototype, checked against PyTorch).
enum Fixtures {
    static var checkpointURL: URL {
        if let path = ProcessInfo.processInfo.environment["RESEMBLYZER_CHECKPOINT"] { return URL(fileURLWithPath: path) }
        let lib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.venv/lib").standardized
        let python = (try? FileManager.default.contentsOfDirectory(atPath: lib.path))?.sorted().first { $0.hasPrefix("python") } ?? "python3"
        return lib.appendingPathComponent("\(python)/site-packages/resemblyzer/pretrained.pt")
    }

    static func checkpoint() throws -> Data {
        do {
            return try Data(contentsOf: checkpointURL)
        } catch {
            throw CheckpointError("cannot read \(checkpointURL.path) (run scripts/setup.sh, which installs pip resemblyzer): \(error)")
        }
    }

    static let tensors: [(name: String, shape: [Int])] = [
        ("similarity_weight", [1]), ("similarity_bias", [1]), ("lstm.weight_ih_l0", [1024, 40]), ("lstm.weight_hh_l0", [1024, 256]),
        ("lstm.bias_ih_l0", [1024]), ("lstm.bias_hh_l0", [1024]), ("lstm.weight_ih_l1", [1024, 256]), ("lstm.weight_hh_l1", [1024, 256]),
        ("lstm.bias_ih_l1", [1024]), ("lstm.bias_hh_l1", [1024]), ("lstm.weight_ih_l2", [1024, 256]), ("lstm.weight_hh_l2", [1024, 256]),
        ("lstm.bias_ih_l2", [1024]), ("lstm.bias_hh_l2", [1024]), ("linear.weight", [256, 256]), ("linear.bias", [256]),
    ]
    static let valuesSHA256 = "13f46f2be922aecf3d6376064cb2a93a2eaac71c3ba5eb4a4f562c018488f428"

    /// Byte offset where the raw storage records start (just after the storage key list),
    /// as `python3 -m pickletools` shows; `storageStartFixtureIsRight` guards it.
    static let resemblyzerStorageStart = 6667
}

/// SplitMix64: a tiny deterministic generator so fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
