import EarshotCore
import Testing

@Suite struct RetryPolicyTests {
    @Test func noFailuresMeansNoDelay() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterFailedAttempts: 0) == 0)
        #expect(policy.delay(afterFailedAttempts: -3) == 0)
    }

    @Test func doublesFromTheBaseDelay() {
        let policy = RetryPolicy(baseDelaySeconds: 5, maxDelaySeconds: 300)
        #expect(policy.delay(afterFailedAttempts: 1) == 5)
        #expect(policy.delay(afterFailedAttempts: 2) == 10)
        #expect(policy.delay(afterFailedAttempts: 3) == 20)
        #expect(policy.delay(afterFailedAttempts: 6) == 160)
    }

    @Test func capsAtTheMaximum() {
        let policy = RetryPolicy(baseDelaySeconds: 5, maxDelaySeconds: 300)
        #expect(policy.delay(afterFailedAttempts: 7) == 300)
        #expect(policy.delay(afterFailedAttempts: 64) == 300)
        // Far past any shift width: must neither trap nor wrap around to a tiny delay.
        #expect(policy.delay(afterFailedAttempts: Int.max) == 300)
    }

    @Test func usesCustomFigures() {
        let policy = RetryPolicy(baseDelaySeconds: 0.5, maxDelaySeconds: 3)
        #expect(policy.delay(afterFailedAttempts: 1) == 0.5)
        #expect(policy.delay(afterFailedAttempts: 3) == 2)
        #expect(policy.delay(afterFailedAttempts: 4) == 3)
    }
}
