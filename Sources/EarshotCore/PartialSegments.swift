/// Segments a running attempt has recognized so far, sent with its progress so users see text
/// before the job ends. `firstIndex` is the position of `segments[0]` in the attempt's
/// transcript: a worker sends only what the server has not acknowledged yet.
public struct PartialSegments: Codable, Sendable, Hashable {
    public var firstIndex: Int
    public var segments: [Segment]

    public init(firstIndex: Int, segments: [Segment]) {
        self.firstIndex = firstIndex
        self.segments = segments
    }
}

/// `GET /api/v1/jobs/{id}/segments`: the text so far. While the job runs these are the current
/// attempt's partial segments; once it has succeeded, the transcript's (`final` is true).
public struct JobSegments: Codable, Sendable, Hashable {
    public var jobId: JobID
    public var state: JobState
    public var progress: Double
    /// True when these are the stored transcript's segments, which no longer change.
    public var final: Bool
    /// Index of `segments[0]` (the `after` the caller asked for).
    public var firstIndex: Int
    public var segments: [Segment]

    public init(jobId: JobID, state: JobState, progress: Double, final: Bool, firstIndex: Int, segments: [Segment]) {
        self.jobId = jobId
        self.state = state
        self.progress = progress
        self.final = final
        self.firstIndex = firstIndex
        self.segments = segments
    }
}
