import EarshotEngine
import Foundation
import Logging

/// What it takes to start either engine, so a server or node builds its recognizers from one setting.
public struct RecognizerFactory: Sendable {
    public var engine: EngineKind
    /// faster-whisper's Python interpreter (unused by whisper.cpp).
    public var python: String
    /// Where both engines keep models they assemble or convert.
    public var modelsDirectory: URL
    public var defaultModel: String
    public var threads: Int

    public init(engine: EngineKind, python: String, modelsDirectory: URL, defaultModel: String, threads: Int) {
        self.engine = engine
        self.python = python
        self.modelsDirectory = modelsDirectory
        self.defaultModel = defaultModel
        self.threads = threads
    }

    /// A new recognizer; with whisper.cpp, recognizers in one process share each loaded model.
    public func makeRecognizer(logger: Logger) -> any SpeechRecognizer {
        switch engine {
        case .fasterWhisper:
            FasterWhisperRecognizer(
                configuration: FasterWhisperConfiguration(
                    python: python, modelsDirectory: modelsDirectory, defaultModel: defaultModel, threads: threads
                ),
                logger: logger
            )
        case .whisperCpp:
            WhisperCppRecognizer(
                configuration: WhisperCppConfiguration(
                    models: WhisperCppModels(directory: modelsDirectory), defaultModel: defaultModel, threads: threads
                ),
                logger: logger
            )
        }
    }
}
