/// What the engine is asked to do for one job.
public struct TranscriptionOptions: Codable, Sendable, Hashable {
    /// A model name (`tiny.en`, `base`) or a path to a CTranslate2 model directory.
    public var model: String
    /// An ISO 639-1 code, or `nil` to let a multilingual model detect it.
    public var language: String?
    public var beamSize: Int
    public var wordTimestamps: Bool
    /// Text that primes the recognizer: names, terms, the style of punctuation (Whisper's
    /// `initial_prompt`).
    public var prompt: String?
    /// Sampling temperature; `nil` is the engine's default fallback schedule.
    public var temperature: Double?
    /// Who speaks when: asked for with `diarize=true`; nil when not.
    public var diarization: DiarizationOptions?

    public init(
        model: String, language: String? = nil, beamSize: Int = 5, wordTimestamps: Bool = false, prompt: String? = nil,
        temperature: Double? = nil, diarization: DiarizationOptions? = nil
    ) {
        self.diarization = diarization
        self.model = model
        self.language = language
        self.beamSize = beamSize
        self.wordTimestamps = wordTimestamps
        self.prompt = prompt
        self.temperature = temperature
    }
}
