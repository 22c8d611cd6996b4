import Foundation

/// Splits a stream of 16 kHz mono samples into utterances by energy, so a live session knows
/// when speech starts and when a pause has closed it.
///
/// Energy with an adaptive noise floor, not a neural VAD: it needs no model, costs microseconds
/// per frame, and the recognizer itself drops what is not speech (`no_speech_prob`). A frame is
/// speech when it is `thresholdDecibels` above the noise floor and above an absolute minimum; an
/// utterance starts after `minimumSpeech` of speech frames and ends after `pause` without any.
/// Utterances longer than `maximumUtterance` are cut so finals keep coming during long monologues.
public struct VoiceActivityDetector: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var sampleRate = 16_000
        public var frameSeconds = 0.02
        public var thresholdDecibels = 12.0
        public var minimumDecibels = -55.0
        public var minimumSpeech = 0.1
        public var pause = 0.5
        /// Audio kept before the first speech frame, so soft onsets are not clipped.
        public var preRoll = 0.4
        /// Audio kept after the last speech frame: word endings fade below the threshold (a
        /// final "them" was lost without it), and Whisper drops words that end at the cut.
        public var postRoll = 0.4
        public var maximumUtterance = 30.0

        public init() {}
    }

    /// A change of state, at an absolute sample position in the stream.
    public enum Event: Sendable, Hashable {
        /// Speech began; the utterance's audio starts at `sample` (pre-roll included).
        case started(sample: Int)
        /// The utterance ended at `sample` (the post-roll after its last speech frame).
        case ended(sample: Int)
    }

    public let configuration: Configuration
    public private(set) var inSpeech = false
    /// Samples consumed so far.
    public private(set) var position = 0

    private var pending: [Float] = []
    private var noiseFloor = -60.0
    private var speechRun = 0
    private var silenceRun = 0

    /// Seconds since the last speech frame (0 while speech goes on).
    public var silenceSeconds: Double { Double(silenceRun) * configuration.frameSeconds }
    private var utteranceStart = 0
    private var lastSpeechEnd = 0

    private var frameLength: Int { Int(Double(configuration.sampleRate) * configuration.frameSeconds) }
    private func frames(_ seconds: Double) -> Int { max(1, Int((seconds / configuration.frameSeconds).rounded())) }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Consumes samples (any count) and returns what changed, in order.
    public mutating func process(_ samples: [Float]) -> [Event] {
        pending.append(contentsOf: samples)
        var events: [Event] = []
        var offset = 0
        let length = frameLength
        while pending.count - offset >= length {
            events += processFrame(pending[offset..<(offset + length)])
            offset += length
        }
        pending.removeFirst(offset)
        return events
    }

    /// Ends an utterance in progress (the stream is over); nil when there was none.
    public mutating func flush() -> Event? {
        guard inSpeech else { return nil }
        inSpeech = false
        speechRun = 0
        silenceRun = 0
        return .ended(sample: max(lastSpeechEnd, position))
    }

    private mutating func processFrame(_ frame: ArraySlice<Float>) -> [Event] {
        position += frame.count
        let level = Self.decibels(frame)
        let speech = level > max(noiseFloor + configuration.thresholdDecibels, configuration.minimumDecibels)
        // The floor follows quiet frames quickly and loud ones very slowly, so speech does not raise it.
        noiseFloor += (level < noiseFloor ? 0.3 : speech ? 0.002 : 0.05) * (level - noiseFloor)
        noiseFloor = min(max(noiseFloor, -100), -20)

        var events: [Event] = []
        if speech {
            speechRun += 1
            silenceRun = 0
            lastSpeechEnd = position
            if !inSpeech, speechRun >= frames(configuration.minimumSpeech) {
                inSpeech = true
                let onset = position - speechRun * frame.count
                utteranceStart = max(0, onset - Int(configuration.preRoll * Double(configuration.sampleRate)))
                events.append(.started(sample: utteranceStart))
            }
        } else {
            speechRun = 0
            silenceRun += 1
        }
        if inSpeech {
            let tooLong = position - utteranceStart >= Int(configuration.maximumUtterance * Double(configuration.sampleRate))
            if silenceRun >= frames(configuration.pause) || tooLong {
                inSpeech = false
                let end = tooLong ? position : min(position, lastSpeechEnd + Int(configuration.postRoll * Double(configuration.sampleRate)))
                events.append(.ended(sample: end))
                if tooLong, speech {
                    // Speech goes on: the next utterance starts right here.
                    inSpeech = true
                    utteranceStart = end
                    events.append(.started(sample: end))
                }
            }
        }
        return events
    }

    /// RMS level in dBFS (full scale = 1.0).
    static func decibels(_ frame: ArraySlice<Float>) -> Double {
        guard !frame.isEmpty else { return -100 }
        var sum = 0.0
        for sample in frame { sum += Double(sample) * Double(sample) }
        let rms = (sum / Double(frame.count)).squareRoot()
        return rms > 0 ? max(-100, 20 * log10(rms)) : -100
    }
}
