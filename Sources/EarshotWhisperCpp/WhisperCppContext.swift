internal import CWhisperCpp
import Foundation

/// A loaded whisper.cpp model (weights only). Read-only once loaded, so any number of recognizers share
/// it, each decoding with a state of its own.
final class WhisperCppContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let path: String
    let isMultilingual: Bool

    init(path: String) throws {
        WhisperCppLogging.install()
        var parameters = whisper_context_default_params()
        parameters.use_gpu = false
        guard let pointer = whisper_init_from_file_with_params_no_state(path, parameters) else {
            throw ModelConversionError.malformed("whisper.cpp could not load \(path)")
        }
        self.pointer = pointer
        self.path = path
        isMultilingual = whisper_is_multilingual(pointer) != 0
    }

    deinit { whisper_free(pointer) }
}

/// The process's loaded models: each file is loaded once, however many recognizers use it.
actor WhisperCppContextCache {
    static let shared = WhisperCppContextCache()

    private var loading: [String: Task<WhisperCppContext, any Error>] = [:]

    func context(path: String) async throws -> WhisperCppContext {
        if let task = loading[path] { return try await task.value }
        let task = Task.detached { try WhisperCppContext(path: path) }
        loading[path] = task
        do {
            return try await task.value
        } catch {
            loading[path] = nil
            throw error
        }
    }
}

/// whisper.cpp prints its progress to stderr by default; keep only its errors, which explain a failed load.
enum WhisperCppLogging {
    private static let installed: Void = {
        whisper_log_set({ level, text, _ in
            guard level == GGML_LOG_LEVEL_ERROR, let text else { return }
            FileHandle.standardError.write(Data(String(cString: text).utf8))
        }, nil)
    }()

    static func install() { _ = installed }
}
