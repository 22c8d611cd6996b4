import EarshotCore
import Testing

@Suite("Token bucket")
struct TokenBucketTests {
    @Test("a full bucket allows its burst, then one request per 1/rate seconds, and says how long to wait")
    func burstThenRate() {
        var bucket = TokenBucket(capacity: 3, ratePerSecond: 2, now: 100)
        #expect((0..<3).allSatisfy { _ in bucket.take(now: 100) == nil })
        #expect(bucket.take(now: 100) == 0.5)
        #expect(bucket.take(now: 100.25) == 0.25)
        #expect(bucket.take(now: 100.5) == nil)
        #expect(bucket.take(now: 100.5) != nil)
    }

    @Test("refills to its capacity and no further; time going backwards takes nothing extra")
    func refillIsCapped() {
        var bucket = TokenBucket(capacity: 2, ratePerSecond: 1, now: 0)
        #expect(bucket.take(now: 0) == nil && bucket.take(now: 0) == nil)
        #expect(!bucket.isFull(now: 1.5))
        #expect(bucket.isFull(now: 2))
        #expect(bucket.take(now: 1000) == nil && bucket.take(now: 1000) == nil)
        #expect(bucket.take(now: 1000) != nil, "1000 s idle still only refills 2")
        #expect(bucket.take(now: 999) != nil)
    }
}
