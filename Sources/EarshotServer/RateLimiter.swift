import EarshotCore
import Foundation

/// Token buckets per client identity (an address, an API key), in memory. Buckets that have refilled are
/// forgotten, so memory follows the clients active in the last few seconds; past `maxIdentities` (a flood of
/// addresses or made-up keys) new identities share one bucket rather than growing the table.
actor RateLimiter {
    let ratePerSecond: Double
    let burst: Double
    let maxIdentities: Int
    private var buckets: [String: TokenBucket] = [:]
    private var takesSincePrune = 0
    private let start = ContinuousClock.now

    init(ratePerSecond: Double, burst: Double, maxIdentities: Int = 50_000) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.maxIdentities = maxIdentities
    }

    /// Takes a token from every identity's bucket; nil if all had one, else the seconds until the emptiest refills.
    /// Nothing is taken when any bucket is empty, so a refused request costs the client nothing.
    func take(_ identities: [String]) -> Double? {
        let now = seconds()
        takesSincePrune += 1
        if takesSincePrune >= 1000 || buckets.count >= maxIdentities { prune(now: now) }
        let keys = identities.map { buckets[$0] != nil || buckets.count < maxIdentities ? $0 : "overflow" }
        var updated: [(String, TokenBucket)] = []
        var wait: Double?
        for key in keys {
            var bucket = buckets[key] ?? TokenBucket(capacity: burst, ratePerSecond: ratePerSecond, now: now)
            if let seconds = bucket.take(now: now) {
                wait = max(wait ?? 0, seconds)
            } else {
                updated.append((key, bucket))
            }
        }
        guard wait == nil else { return wait }
        for (key, bucket) in updated { buckets[key] = bucket }
        return nil
    }

    private func prune(now: Double) {
        takesSincePrune = 0
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }

    private func seconds() -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
