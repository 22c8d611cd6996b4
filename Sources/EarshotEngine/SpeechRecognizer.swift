import EarshotAudio
import EarshotCore

/// One transcription for an engine to run.
public struct RecognitionRequest: Sendable, Hashable {
    public var audio: DecodedAudio
    public var options: TranscriptionOptions
    /// How much audio the encoder sees at a time.
    public var window: AudioWindow

    public init(audio: DecodedAudio, options: TranscriptionOptions, window: AudioWindow = .standard) {
        self.audio = audio
        self.options = options
        self.window = window
    }
}

/// How much audio Whisper's encoder sees at a time.
public enum AudioWindow: Sendable, Hashable {
    /// Whisper's 30-second windows, however short the audio: what it was trained on.
    case standard
    /// A window fitted to the audio (under 30 s; longer audio gets standard windows): several
    /// times faster on a short utterance, decoded as one segment. Short windows can set the
    /// decoder looping ("he was not he was not…"). A definitive request (a final) is then decoded
    /// again with standard windows. A `provisional` one (a partial, replaced within a second)
    /// answers what came before the loop, and leaves out a segment the decoder was unsure of
    /// (average log-probability under -1: on the first half second of speech, mostly invented
    /// words). Engines that cannot fit windows use standard ones (whisper.cpp: its reduced
    /// `audio_ctx` changed words and looped on short audio).
    case fitted(provisional: Bool)
}

/// What an engine reports while it works, in order: `info` once, then segments as they are decoded.
public enum RecognitionEvent: Sendable, Hashable {
    case info(language: String, durationSeconds: Double)
    /// `progress` is the fraction of the audio covered so far, 0...1.
    case segment(Segment, progress: Double)
}

/// Why recognition failed.
public enum RecognitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case modelNotFound(String)
    case badAudio(String)
    /// The engine crashed or reported an internal error; another attempt may succeed.
    case engine(String)
    /// The engine is not running (starting, or restarting after a crash).
    case unavailable(String)

    public var description: String {
        switch self {
        case .modelNotFound(let message): "model not found: \(message)"
        case .badAudio(let message): "bad audio: \(message)"
        case .engine(let message): "engine error: \(message)"
        case .unavailable(let message): "engine unavailable: \(message)"
        }
    }

    /// Whether trying the same job again may succeed.
    public var isRetryable: Bool {
        switch self {
        case .modelNotFound, .badAudio: false
        case .engine, .unavailable: true
        }
    }
}

/// A speech-to-text engine. Implementations keep their models loaded between requests.
///
/// Cancelling the task that iterates the stream returned by ``recognize(_:)`` stops the engine's run.
public protocol SpeechRecognizer: Sendable {
    /// A short name for logs and metrics, e.g. `faster-whisper`.
    var engineName: String { get }
    /// Loads the default model; returns when the engine can take requests.
    func prepare() async throws
    /// Whether the engine is loaded and able to take requests now.
    func isReady() async -> Bool
    func recognize(_ request: RecognitionRequest) -> AsyncThrowingStream<RecognitionEvent, any Error>
    /// Stops the engine (its process, if any).
    func shutdown() async
}

/// Finds who speaks when in decoded audio (the speaker-diarization engine).
public protocol SpeakerDiarizing: Sendable {
    /// The speakers of `audio` and their turns; `options` bounds how many there may be.
    func diarize(_ audio: DecodedAudio, options: DiarizationOptions) async throws -> SpeakerTimeline
    /// The voice embedding of a clip (16 kHz mono samples), comparable with the centroids
    /// ``diarize(_:options:)`` gives: for enrolling a voice, or naming a live utterance's speaker.
    func embedding(samples: [Float]) async throws -> [Float]
}
