/// Every tuning value of the pipeline, in one place. The values are the prototype report's
/// recommended configuration (docs/diarization-prototype.md §6 and §11); frames are 10 ms.
@_spi(Evaluation)
public struct DiarizationParameters: Sendable {
    /// LSTM steps (mel frames) per embedding window: 1.0 s. Shorter windows merged similar voices.
    public var windowFrames = 100
    /// Window spacing inside speech regions: 1.0 s. The prototype's 3.0 s (its speed pick) found one
    /// speaker in a 5-minute conversation of 2–8 s turns (DER 63 %; a window per turn, often on its
    /// edge); 1.0 s gives 1.7 % there and 2–3 % on the prototype's conversations, at ~6 ms per second
    /// of audio (docs/benchmarks.md, "Diarization").
    public var hopFrames = 100
    /// Short recordings are densified until they yield about this many windows; fewer made spectral
    /// clustering merge speakers.
    public var minWindows = 60
    /// Speech regions shorter than this get no window of their own (they borrow their neighbours').
    public var regionMinSeconds = 0.5
    /// Above this many windows only an evenly spaced subset is clustered (the eigen-decomposition is O(n³)).
    public var maxClusterWindows = 800

    /// VAD: centred moving average length in frames.
    public var vadSmoothFrames = 5
    /// VAD: threshold as a fraction of the way from the 10th to the 95th energy percentile.
    public var vadRelativeThreshold = 0.2
    /// VAD: interior pauses shorter than this are filled.
    public var vadBridgeSeconds = 0.3
    /// VAD: speech runs shorter than this are dropped.
    public var vadMinSpeechSeconds = 0.15
    /// VAD: every speech run is widened by this much on both sides.
    public var vadPadSeconds = 0.1

    /// Spectral clustering: fraction of each affinity row kept (p-pruning).
    public var spectralKeepFraction = 0.2
    /// Default upper bound of the eigengap search.
    public var maxSpeakers = 8
    /// Clusters whose windows stand for less speech than this are dissolved into their neighbours.
    public var minClusterSeconds = 2.0
    /// Clusters whose centroids are more similar than this are merged (above 1: never).
    public var mergeThreshold = 1.1
    /// Rounds of "each window to its nearest centroid, recompute centroids".
    public var refineRounds = 2
    /// Resegmentation: label runs shorter than this are absorbed by a neighbour.
    public var minRunSeconds = 0.5

    /// k-means restarts (the lowest-inertia run wins).
    public var kMeansRestarts = 5
    /// k-means iteration cap per restart.
    public var kMeansIterations = 50
    /// k-means seed: fixed, so the same audio always gives the same result.
    public var kMeansSeed: UInt64 = 0

    /// The report's recommended configuration.
    public static let recommended = DiarizationParameters()
}
