import EarshotDiarizationEvaluation
@testable import EarshotDiarization
import Foundation

/// Paths and shared objects of the test suite.
enum TestData {
    /// Debian's pocketsphinx-testdata (the package the tests' real voices come from).
    static let pocketsphinx = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data")

    static func fixture(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw DiarizationError("missing test fixture \(name)")
        }
        return url
    }

    /// The Resemblyzer weights as the server reads them: the pip package's checkpoint, installed by
    /// scripts/setup.sh into the project's .venv.
    static let weights: Result<VoiceEncoderWeights, any Error> = Result { try SpeakerModelFiles().weights() }

    static func diarizer() throws -> Diarizer { Diarizer(weights: try weights.get()) }

    static func audio(_ relativePath: String) throws -> [Float] {
        try AudioFile.read(pocketsphinx.appendingPathComponent(relativePath))
    }
}

/// Dot product (cosine of unit vectors).
func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / max((na * nb).squareRoot(), 1e-30)
}

extension TestData {
    /// `Diarizer.diarize` on a thread of its own: seconds of CPU work on the two-thread cooperative
    /// pool would starve every other test in the process (their servers, timers and deadlines).
    static func diarize(_ samples: [Float], speakers: SpeakerCountHint = .init()) async throws -> DiarizationResult {
        let diarizer = try diarizer()
        return try await offThePool { try diarizer.diarize(samples, speakers: speakers) }
    }

    /// `Diarizer.embedding(of:)` on a thread of its own.
    static func embedding(of samples: [Float]) async throws -> [Float] {
        let diarizer = try diarizer()
        return try await offThePool { try diarizer.embedding(of: samples) }
    }

    private static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
