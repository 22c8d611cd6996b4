/// How long a failed job waits before its next attempt: exponential backoff with a cap.
public struct RetryPolicy: Sendable, Hashable {
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(baseDelaySeconds: Double = 5, maxDelaySeconds: Double = 300) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The delay after `failedAttempts` failures (1 → base, 2 → 2×base, 3 → 4×base, …).
    public func delay(afterFailedAttempts failedAttempts: Int) -> Double {
        guard failedAttempts > 0 else { return 0 }
        let exponent = min(failedAttempts - 1, 30)
        return min(baseDelaySeconds * Double(1 << exponent), maxDelaySeconds)
    }
}
