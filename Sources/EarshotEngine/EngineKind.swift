/// The speech engines Earshot runs; a node or server runs one, chosen by configuration (`engine:`).
public enum EngineKind: String, CaseIterable, Sendable, Codable {
    /// faster-whisper (CTranslate2) in a supervised Python process.
    case fasterWhisper = "faster-whisper"
    /// whisper.cpp, in process: no Python needed.
    case whisperCpp = "whisper.cpp"

    /// The accepted names, for help texts and error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: " | ") }
}
