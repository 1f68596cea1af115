import SeededRandom
import Testing
@testable import Resilience

@Suite struct RetryPolicyTests {
    @Test(arguments: 1...12)
    func delayStaysWithinTheExponentialBoundAndTheCap(k: Int) {
        let policy = RetryPolicy(maxAttempts: 100)
        let exponential = Duration.milliseconds(200) * (1 << (k - 1))
        let ceiling = min(exponential, .seconds(10))
        #expect(policy.ceiling(beforeRetry: k) == ceiling)
        var random = SplitMix64(seed: UInt64(k))
        var largest = Duration.zero
        for _ in 0..<2000 {
            let delay = policy.delay(beforeRetry: k, using: &random)!
            #expect(delay >= .zero)
            #expect(delay <= ceiling)
            #expect(delay <= .seconds(10))
            largest = max(largest, delay)
        }
        // Full jitter really spreads: over 2000 samples the largest is in the top 1 % of the range.
        #expect(largest >= ceiling * 0.99)
    }

    @Test func defaultsGiveTwoRetriesThenNil() {
        let policy = RetryPolicy()
        #expect(policy.maxAttempts == 3)
        var random = SplitMix64(seed: 1)
        #expect(policy.delay(beforeRetry: 1, using: &random) != nil)
        #expect(policy.delay(beforeRetry: 2, using: &random) != nil)
        #expect(policy.delay(beforeRetry: 3, using: &random) == nil)
        #expect(policy.delay(beforeRetry: 50, using: &random) == nil)
    }

    @Test func aSingleAttemptNeverRetries() {
        var random = SplitMix64(seed: 1)
        #expect(RetryPolicy(maxAttempts: 1).delay(beforeRetry: 1, using: &random) == nil)
    }

    @Test func sameSeedSameDelays() {
        let policy = RetryPolicy(maxAttempts: 10)
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let a = (1..<10).map { policy.delay(beforeRetry: $0, using: &first) }
        let b = (1..<10).map { policy.delay(beforeRetry: $0, using: &second) }
        #expect(a == b)
        var other = SplitMix64(seed: 43)
        #expect(a != (1..<10).map { policy.delay(beforeRetry: $0, using: &other) })
    }

    @Test func splitMix64MatchesTheReferenceSequence() {
        // First outputs for seed 1234567 from the reference C implementation.
        var random = SplitMix64(seed: 1_234_567)
        #expect(random.next() == 6_457_827_717_110_365_317)
        #expect(random.next() == 3_203_168_211_198_807_973)
    }

    @Test func capIsReachedAndHeld() {
        let policy = RetryPolicy(maxAttempts: 1000, base: .milliseconds(200), cap: .seconds(10))
        // 200 ms * 2^5 = 6.4 s < 10 s; 2^6 -> 12.8 s, capped.
        #expect(policy.ceiling(beforeRetry: 6) == .milliseconds(6400))
        #expect(policy.ceiling(beforeRetry: 7) == .seconds(10))
        #expect(policy.ceiling(beforeRetry: 500) == .seconds(10))
        var random = SplitMix64(seed: 9)
        #expect(policy.delay(beforeRetry: 999, using: &random)! <= .seconds(10))
    }

    @Test(arguments: [
        (Duration.seconds(1), Duration.seconds(2), Duration.zero, true),
        (.seconds(2), .seconds(2), .zero, false),
        (.seconds(3), .seconds(2), .zero, false),
        (.seconds(1), .seconds(2), .milliseconds(500), true),
        (.seconds(1), .seconds(2), .seconds(1), false),
    ])
    func fitsLeavesTimeForTheAttempt(delay: Duration, remaining: Duration, minimum: Duration, fits: Bool) {
        #expect(RetryPolicy.fits(delay, remaining: remaining, minimumAttemptTime: minimum) == fits)
    }

    @Test(arguments: [
        (RetryPolicy(maxAttempts: 0), "maxAttempts"),
        (RetryPolicy(base: .zero), "base"),
        (RetryPolicy(base: .seconds(2), cap: .seconds(1)), "cap"),
    ])
    func invalidPolicyNamesTheKey(policy: RetryPolicy, key: String) {
        #expect(throws: SettingError.self) { try policy.validate() }
        do { try policy.validate() } catch { guard case let .invalid(badKey, _) = error else { return }; #expect(badKey == key) }
        #expect(throws: Never.self) { try RetryPolicy().validate() }
    }
}
