/// A token bucket: up to `capacity` requests at once, refilled at `ratePerSecond`. Pure arithmetic on the
/// times it is given, so it is tested without clocks.
public struct TokenBucket: Sendable, Hashable {
    public let capacity: Double
    public let ratePerSecond: Double
    public private(set) var tokens: Double
    public private(set) var updated: Double

    /// A full bucket at time `now` (seconds on any monotonic scale).
    public init(capacity: Double, ratePerSecond: Double, now: Double) {
        self.capacity = max(1, capacity)
        self.ratePerSecond = max(0.001, ratePerSecond)
        tokens = self.capacity
        updated = now
    }

    /// Takes one token if there is one and returns nil; otherwise returns the seconds until one is there.
    public mutating func take(now: Double) -> Double? {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / ratePerSecond
    }

    /// Whether the bucket has refilled completely by `now` (so forgetting it loses nothing).
    public func isFull(now: Double) -> Bool {
        tokens + max(0, now - updated) * ratePerSecond >= capacity
    }

    private mutating func refill(now: Double) {
        if now > updated {
            tokens = min(capacity, tokens + (now - updated) * ratePerSecond)
            updated = now
        }
    }
}
