/// How long a stream waits before reconnecting: 1, 2, 5, 10, 30, then 60 s for as long as it
/// keeps failing. A run that delivered audio for `healthySeconds` counts as a success, so a camera
/// that drops once a day reconnects after 1 s, not 60.
public struct ReconnectBackoff: Sendable, Hashable {
    public static let defaultDelays: [Double] = [1, 2, 5, 10, 30, 60]

    public let delays: [Double]
    public let healthySeconds: Double
    /// Runs that failed in a row.
    public private(set) var failures = 0

    public init(delays: [Double] = Self.defaultDelays, healthySeconds: Double = 30) {
        precondition(!delays.isEmpty)
        self.delays = delays
        self.healthySeconds = healthySeconds
    }

    /// Records a run that ended after delivering `audioSeconds` of audio; returns how long to wait
    /// before the next.
    public mutating func runEnded(audioSeconds: Double) -> Double {
        if audioSeconds >= healthySeconds { failures = 0 }
        let delay = delays[min(failures, delays.count - 1)]
        failures += 1
        return delay
    }

    /// A new start by request begins a fresh schedule.
    public mutating func reset() { failures = 0 }
}
