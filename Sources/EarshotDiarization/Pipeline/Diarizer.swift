/// Speaker diarization of 16 kHz mono audio: speech regions → 1 s windows → voice embeddings →
/// spectral clustering → resegmentation.
///
/// The recipe and every parameter are those of the measured numpy prototype (docs/diarization-prototype.md,
/// recommended configuration). One label per frame: in overlapped speech the dominant voice wins.
public struct Diarizer: Sendable {
    let encoder: VoiceEncoder
    let parameters: DiarizationParameters

    /// A diarizer running the Resemblyzer encoder with `weights`.
    public init(weights: VoiceEncoderWeights) {
        self.init(weights: weights, parameters: .recommended)
    }

    /// A diarizer with the given parameters (for experiments; not a stable API).
    @_spi(Evaluation)
    public init(weights: VoiceEncoderWeights, parameters: DiarizationParameters) {
        self.encoder = VoiceEncoder(weights: weights)
        self.parameters = parameters
    }

    /// `samples`: 16 kHz mono float in -1...1. Runs on the calling thread (it is CPU work; callers put
    /// it off the concurrency pool).
    ///
    /// Empty audio, silence, and audio without a speech region of at least 0.5 s give no speakers.
    /// NaN and infinite samples are treated as silence.
    public func diarize(
        _ samples: [Float], speakers: SpeakerCountHint = .init()
    ) throws(DiarizationError) -> DiarizationResult {
        var timings = StageTimings()
        return diarize(samples, speakers: speakers, timings: &timings)
    }

    /// The L2-normalised embedding of one stretch of speech (used for tests and enrollment from a clip).
    ///
    /// The mean of the embeddings of 1.0 s windows every 0.5 s over the clip's speech (as the
    /// diarizer's speaker centroids are means of 1.0 s window embeddings, so the two compare with the
    /// report's 0.90 threshold), normalised. Throws when the clip is shorter than 0.25 s or holds no
    /// signal.
    public func embedding(of samples: [Float]) throws(DiarizationError) -> [Float] {
        let minimumSamples = AudioFrames.sampleRate / 4
        guard samples.count >= minimumSamples else {
            throw DiarizationError("audio too short for a voice embedding: \(samples.count) samples, need \(minimumSamples)")
        }
        let audio = AudioFrames.levelNormalized(AudioFrames.sanitized(samples))
        guard audio.contains(where: { $0 != 0 }) else {
            throw DiarizationError("no signal to embed: the audio is silent")
        }
        let frameCount = AudioFrames.frameCount(samples: audio.count)
        let mask = SpeechRegions.speechMask(
            energies: SpeechRegions.frameEnergies(audio), parameters: parameters)
        var regions = SpeechRegions.runs(of: true, in: mask)
        if regions.isEmpty { regions = [FrameRange(start: 0, end: frameCount)] }
        var placed = WindowPlacement.place(
            regions: regions, windowFrames: parameters.windowFrames, hopFrames: parameters.windowFrames / 2,
            minWindows: 0, regionMinSeconds: parameters.regionMinSeconds)
        if placed.isEmpty, let longest = regions.max(by: { $0.count < $1.count }) {
            // Only short bursts: embed the longest one as a single (shorter) window.
            let length = min(parameters.windowFrames, longest.count)
            placed = [PlacedWindow(window: EmbeddingWindow(start: longest.start, length: length), region: 0)]
        }
        let windows = placed.map(\.window)
        let mel = MelSpectrogram(samples: audio, frames: Self.frames(of: windows))
        let embeddings = EmbeddingMatrix(values: encoder.embed(mel, windows: windows), width: VoiceEncoderWeights.hiddenSize)
        let mean = embeddings.centroids(labels: [Int](repeating: 0, count: embeddings.rows), count: 1)
        guard mean.values.contains(where: { $0 != 0 }), mean.values.allSatisfy(\.isFinite) else {
            throw DiarizationError("the voice encoder produced no embedding for this audio")
        }
        return mean.values
    }

    // MARK: - Pipeline

    /// Seconds spent per stage of one `diarize` call (for the benchmark; not a stable API).
    @_spi(Evaluation)
    public struct StageTimings: Sendable {
        /// Level normalisation, VAD and window placement.
        public var speechRegions = 0.0
        /// Mel spectrogram of the frames the windows read.
        public var mel = 0.0
        /// The batched LSTM.
        public var encoder = 0.0
        /// Spectral clustering and clean-up.
        public var clustering = 0.0
        /// Frame labels, short-run absorption and turns.
        public var resegmentation = 0.0
        /// Embedding windows placed.
        public var windows = 0
        /// Zero timings.
        public init() {}
    }

    /// `diarize(_:speakers:)`, also reporting where the time went.
    @_spi(Evaluation)
    public func diarize(
        _ input: [Float], speakers hint: SpeakerCountHint, timings: inout StageTimings
    ) -> DiarizationResult {
        guard !input.isEmpty else { return .empty }
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> Double {
            let now = clock.now
            let elapsed = now - mark
            mark = now
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }

        let audio = AudioFrames.levelNormalized(AudioFrames.sanitized(input))
        let frameCount = AudioFrames.frameCount(samples: audio.count)
        let mask = SpeechRegions.speechMask(energies: SpeechRegions.frameEnergies(audio), parameters: parameters)
        let regions = SpeechRegions.runs(of: true, in: mask)
        let placed = WindowPlacement.place(
            regions: regions, windowFrames: parameters.windowFrames, hopFrames: parameters.hopFrames,
            minWindows: parameters.minWindows, regionMinSeconds: parameters.regionMinSeconds)
        timings.speechRegions += lap()
        timings.windows = placed.count
        guard !placed.isEmpty else { return .empty }

        let windows = placed.map(\.window)
        let mel = MelSpectrogram(samples: audio, frames: Self.frames(of: windows))
        timings.mel += lap()
        let embeddings = EmbeddingMatrix(
            values: encoder.embed(mel, windows: windows), width: VoiceEncoderWeights.hiddenSize)
        timings.encoder += lap()

        let speechFrames = regions.reduce(0) { $0 + $1.count }
        let windowSeconds = Double(speechFrames) * AudioFrames.frameSeconds / Double(placed.count)
        let labels = SpeakerClustering.cluster(
            embeddings, speakers: hint.resolvedRange, windowSeconds: windowSeconds, parameters: parameters)
        let speakerCount = (labels.max() ?? 0) + 1
        let centroids = embeddings.centroids(labels: labels, count: speakerCount)
        timings.clustering += lap()

        let frameLabels = Resegmentation.frameLabels(
            frameCount: frameCount, regions: regions, windows: placed,
            similarities: embeddings.similarities(to: centroids), speakers: speakerCount,
            minRunFrames: SpeechRegions.frames(parameters.minRunSeconds))
        let result = Self.result(
            frameLabels: frameLabels, centroids: centroids,
            duration: Double(audio.count) / Double(AudioFrames.sampleRate))
        timings.resegmentation += lap()
        return result
    }

    /// Every frame some window reads.
    static func frames(of windows: [EmbeddingWindow]) -> [Int] {
        var frames: [Int] = []
        for window in windows { frames += window.start..<window.start + window.length }
        return frames
    }

    /// Turns from runs of equal frame labels (pauses split turns), speakers renumbered in order of
    /// first appearance; a cluster left without frames after resegmentation is not reported.
    static func result(frameLabels: [Int], centroids: EmbeddingMatrix, duration: Double) -> DiarizationResult {
        var turns: [SpeakerTurn] = []
        var newIndex: [Int: Int] = [:]
        var order: [Int] = []
        var t = 0
        while t < frameLabels.count {
            let label = frameLabels[t]
            var u = t + 1
            while u < frameLabels.count && frameLabels[u] == label { u += 1 }
            if label >= 0 {
                let start = min(Double(t) * AudioFrames.frameSeconds, duration)
                let end = min(Double(u) * AudioFrames.frameSeconds, duration)
                if end > start {
                    let speaker: Int
                    if let known = newIndex[label] {
                        speaker = known
                    } else {
                        speaker = order.count
                        newIndex[label] = speaker
                        order.append(label)
                    }
                    turns.append(SpeakerTurn(start: start, end: end, speaker: speaker))
                }
            }
            t = u
        }
        var seconds = [Double](repeating: 0, count: order.count)
        for turn in turns { seconds[turn.speaker] += turn.end - turn.start }
        let speakers = order.enumerated().map { index, label in
            DiarizedSpeaker(index: index, centroid: Array(centroids.row(label)), speechSeconds: seconds[index])
        }
        return DiarizationResult(speakers: speakers, turns: turns)
    }
}
