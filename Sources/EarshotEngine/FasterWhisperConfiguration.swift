import Foundation

/// How to start the faster-whisper worker process.
public struct FasterWhisperConfiguration: Sendable, Hashable {
    /// The Python interpreter of the venv that has faster-whisper installed.
    public var python: String
    /// The worker script; the copy bundled with Earshot by default.
    public var script: URL
    /// Where assembled models (Whisper base) are cached.
    public var modelsDirectory: URL
    /// Loaded at start and kept warm.
    public var defaultModel: String
    /// CPU threads CTranslate2 may use for this process.
    public var threads: Int
    /// CTranslate2 compute type; `int8` is the fastest on CPU.
    public var computeType: String
    /// Seconds to wait before each restart after a crash; the last value repeats.
    public var restartBackoff: [Double]

    public init(
        python: String, script: URL = FasterWhisperConfiguration.bundledScript, modelsDirectory: URL,
        defaultModel: String = "tiny.en", threads: Int = 2, computeType: String = "int8",
        restartBackoff: [Double] = [1, 2, 5, 10, 30]
    ) {
        self.python = python
        self.script = script
        self.modelsDirectory = modelsDirectory
        self.defaultModel = defaultModel
        self.threads = threads
        self.computeType = computeType
        self.restartBackoff = restartBackoff
    }

    /// The worker script shipped as a resource of this module (`EARSHOT_ENGINE_SCRIPT` overrides it).
    public static var bundledScript: URL {
        if let override = ProcessInfo.processInfo.environment["EARSHOT_ENGINE_SCRIPT"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return Bundle.module.url(forResource: "faster_whisper_worker", withExtension: "py")
            ?? URL(fileURLWithPath: "Sources/EarshotEngine/Python/faster_whisper_worker.py")
    }

    /// The interpreter to use when none is configured: `EARSHOT_PYTHON`, else a `.venv` in the
    /// working directory or above the executable (a source checkout), else `python3` on `PATH`.
    public static var defaultPython: String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["EARSHOT_PYTHON"], !configured.isEmpty { return configured }
        for directory in InstallationRoots.candidates {
            let python = directory.appendingPathComponent(".venv/bin/python").path
            if FileManager.default.isExecutableFile(atPath: python) { return python }
        }
        return "python3"
    }
}
