import EarshotAudio

/// Follows one live stream's audio: runs voice activity detection and keeps just the samples
/// still needed (the open utterance, or the pre-roll while nobody speaks).
struct UtteranceTracker: Sendable {
    /// What the caller must act on after a chunk, in order.
    enum Step: Sendable {
        /// Speech started at this absolute sample.
        case started(sample: Int)
        /// The utterance that started at `start` is over: transcribe `samples` as final.
        case ended(start: Int, samples: [Float])
        /// The open utterance has grown by `partialInterval` since the last partial: transcribe
        /// `samples` (from `start`) as a partial.
        case partial(start: Int, samples: [Float])
    }

    static let sampleRate = 16_000
    let partialIntervalSamples: Int
    /// When the first partial is due after speech is detected.
    let firstPartialSamples: Int
    /// A partial waits while the speaker pauses longer than this: the pause may be the end of the
    /// utterance, and a partial running when the final is due delays the final behind it on the
    /// shared engine (measured: finals 0.45 s later with early partials before this rule).
    static let pausedSeconds = 0.1

    private var detector: VoiceActivityDetector
    private var buffer: [Float] = []
    private var bufferStart = 0
    private var utteranceStart: Int?
    private var lastPartial = 0

    init(partialIntervalSeconds: Double = 1.0, firstPartialSeconds: Double = 0.4, detector: VoiceActivityDetector = VoiceActivityDetector()) {
        self.detector = detector
        partialIntervalSamples = Int(partialIntervalSeconds * Double(Self.sampleRate))
        firstPartialSamples = Int(firstPartialSeconds * Double(Self.sampleRate))
    }

    var isInUtterance: Bool { utteranceStart != nil }

    /// After a partial that said nothing (too little speech yet, or nothing the decoder was sure
    /// of), the next is due this soon rather than a whole interval later, so the first words show early.
    static let emptyPartialRetrySeconds = 0.2

    /// The last partial came back empty: the next one is due after ``emptyPartialRetrySeconds``.
    mutating func partialWasEmpty() {
        guard utteranceStart != nil else { return }
        lastPartial = min(lastPartial, detector.position - partialIntervalSamples + Int(Self.emptyPartialRetrySeconds * Double(Self.sampleRate)))
    }

    mutating func append(_ samples: [Float]) -> [Step] {
        buffer.append(contentsOf: samples)
        var steps: [Step] = []
        for event in detector.process(samples) { steps.append(handle(event)) }
        if let start = utteranceStart, detector.position - lastPartial >= partialIntervalSamples, detector.silenceSeconds < Self.pausedSeconds {
            lastPartial = detector.position
            steps.append(.partial(start: start, samples: slice(from: start, to: detector.position)))
        }
        trim()
        return steps
    }

    /// The stream ended: the open utterance, if any, becomes final.
    mutating func finish() -> Step? {
        guard let event = detector.flush() else { return nil }
        return handle(event)
    }

    private mutating func handle(_ event: VoiceActivityDetector.Event) -> Step {
        switch event {
        case .started(let sample):
            utteranceStart = sample
            // Due `firstPartialSamples` after speech began rather than a whole interval.
            lastPartial = detector.position - partialIntervalSamples + firstPartialSamples
            return .started(sample: sample)
        case .ended(let sample):
            let start = utteranceStart ?? sample
            utteranceStart = nil
            return .ended(start: start, samples: slice(from: start, to: sample))
        }
    }

    private func slice(from start: Int, to end: Int) -> [Float] {
        let lower = max(0, start - bufferStart)
        let upper = min(buffer.count, max(lower, end - bufferStart))
        return Array(buffer[lower..<upper])
    }

    private mutating func trim() {
        let keepFrom = utteranceStart ?? (detector.position - Int(detector.configuration.preRoll * Double(Self.sampleRate)) - Self.sampleRate / 10)
        let drop = min(buffer.count, max(0, keepFrom - bufferStart))
        if drop > 0 {
            buffer.removeFirst(drop)
            bufferStart += drop
        }
    }
}
