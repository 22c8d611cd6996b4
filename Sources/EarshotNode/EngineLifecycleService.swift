import EarshotEngine
import Logging
import ServiceLifecycle

/// Starts the engines (loading models in the background so workers can start claiming at once)
/// and stops them on graceful shutdown. Put it before the workers in a service group: groups
/// shut down in reverse order, so the engines stop only after the workers using them finished.
public struct EngineLifecycleService: Service {
    let recognizers: [any SpeechRecognizer]
    let logger: Logger

    public init(recognizers: [any SpeechRecognizer], logger: Logger) {
        self.recognizers = recognizers
        self.logger = logger
    }

    public func run() async throws {
        for recognizer in recognizers {
            Task {
                do {
                    try await recognizer.prepare()
                } catch {
                    logger.error("engine failed to start", metadata: ["error": "\(error)"])
                }
            }
        }
        try? await gracefulShutdown()
        for recognizer in recognizers { await recognizer.shutdown() }
    }
}
