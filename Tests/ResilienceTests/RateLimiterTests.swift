import SeededRandom
import Testing
@testable import Resilience

/// What a request arriving at `now` meets, as a caller that will not wait would see it: the service
/// reserves (`reserve(at:)`, a future slot included); these tests drive the same state one instant at a time.
private enum Decision: Equatable {
    case allowed
    case wait(Duration)
}

private extension RateLimiter {
    /// Takes the slot when one is free at `now`; otherwise says how long to wait and changes nothing.
    mutating func acquire(at now: Instant) -> Decision {
        let decision = peek(at: now)
        if decision == .allowed { #expect(reserve(at: now) == now) }
        return decision
    }

    func peek(at now: Instant) -> Decision {
        let earliest = earliestAllowed(at: now)
        return earliest > now ? .wait(earliest - now) : .allowed
    }
}

@Suite struct RateLimiterTests {
    /// Drives the limiter the way the owning actor does: each request waits until it is allowed.
    private func takeEach(_ count: Int, from limiter: inout RateLimiter, startingAt start: Instant) -> [Instant] {
        var now = start
        var allowed: [Instant] = []
        while allowed.count < count {
            switch limiter.acquire(at: now) {
            case .allowed: allowed.append(now)
            case let .wait(duration):
                #expect(duration > .zero)
                now = now + duration
            }
        }
        return allowed
    }

    /// The most allowed requests in any closed window `[t, t + length]` starting at an allowed request.
    private func maxInAnyWindow(_ times: [Instant], length: Duration) -> Int {
        let sorted = times.sorted()
        var best = 0
        var end = 0
        for start in sorted.indices {
            if end < start { end = start }
            while end + 1 < sorted.count, sorted[end + 1] <= sorted[start] + length { end += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    @Test func twentyPerSecondBurstOnePacesOneHundredTwentyRequests() {
        var limiter = RateLimiter(rate: .perSecond(20), burst: 1)
        let times = takeEach(120, from: &limiter, startingAt: .origin)
        #expect(maxInAnyWindow(times, length: .seconds(1)) <= 21)
        #expect(times.last! - times.first! >= .milliseconds(5900))
        for (a, b) in zip(times, times.dropFirst()) { #expect(b - a == .milliseconds(50)) }
    }

    @Test func reservationsAreSpacedByTheIntervalPlusTheMarginAndWaitOutAPause() {
        var limiter = RateLimiter(configuration: .init(rate: .perSecond(1), margin: .milliseconds(100)))
        let slots = (0..<3).map { _ in limiter.reserve(at: .origin) }
        #expect(slots.map(\.sinceOrigin) == [.zero, .milliseconds(1100), .milliseconds(2200)])
        limiter.pause(until: .at(10))
        #expect(limiter.reserve(at: .at(5)) == .at(10))
        #expect(limiter.reserve(at: .at(5)) == .at(10) + .milliseconds(1100))
        // A limiter restored from what another instance stored continues where it left off.
        var restored = RateLimiter(configuration: limiter.configuration, theoreticalArrival: limiter.theoreticalArrival,
                                   pausedUntil: limiter.pausedUntil)
        #expect(restored.reserve(at: .at(5)) == .at(10) + .milliseconds(2200))
    }

    @Test func burstAllowsThatManyAtOnceThenPaces() {
        var limiter = RateLimiter(rate: .perSecond(1), burst: 5)
        let now = Instant.at(100)
        for _ in 0..<5 { #expect(limiter.acquire(at: now) == .allowed) }
        #expect(limiter.acquire(at: now) == .wait(.seconds(1)))
        #expect(limiter.acquire(at: now + .milliseconds(999)) == .wait(.milliseconds(1)))
        #expect(limiter.acquire(at: now + .seconds(1)) == .allowed)
        #expect(limiter.acquire(at: now + .seconds(1)) == .wait(.seconds(1)))
    }

    @Test func idleTimeRefillsTheBurstButNoMore() {
        var limiter = RateLimiter(rate: .perSecond(1), burst: 3)
        for _ in 0..<3 { #expect(limiter.acquire(at: .origin) == .allowed) }
        // After an hour idle, still only 3 back to back.
        let later = Instant.at(3600)
        for _ in 0..<3 { #expect(limiter.acquire(at: later) == .allowed) }
        #expect(limiter.acquire(at: later) == .wait(.seconds(1)))
    }

    @Test(arguments: [
        (RateLimiter.Rate.perSecond(1), Duration.seconds(1)),
        (.perMinute(6), .seconds(10)),
        (RateLimiter.Rate(100, per: .seconds(300)), .seconds(3)),
    ])
    func emissionIntervalOfProviderRates(rate: RateLimiter.Rate, interval: Duration) {
        #expect(rate.emissionInterval == interval)
        var limiter = RateLimiter(rate: rate)
        #expect(limiter.acquire(at: .origin) == .allowed)
        #expect(limiter.acquire(at: .origin) == .wait(interval))
        #expect(limiter.acquire(at: .origin + interval) == .allowed)
    }

    @Test func sixPerMinuteAllowsSixInAMinuteAndNotASeventh() {
        var limiter = RateLimiter(rate: .perMinute(6))
        let times = takeEach(7, from: &limiter, startingAt: .origin)
        #expect(times.map(\.sinceOrigin) == (0...6).map { .seconds(10 * $0) })
        #expect(maxInAnyWindow(times, length: .seconds(59)) == 6)
    }

    @Test func pauseBlocksUntilItEndsThenResumesAtTheSteadyRate() {
        var limiter = RateLimiter(rate: .perSecond(10), burst: 5)
        #expect(limiter.acquire(at: .origin) == .allowed)
        limiter.pause(until: .at(2))
        #expect(limiter.pausedUntil == .at(2))
        #expect(limiter.acquire(at: .at(0.5)) == .wait(.milliseconds(1500)))
        #expect(limiter.peek(at: .at(1.9)) == .wait(.milliseconds(100)))
        #expect(limiter.tokensAvailable(at: .at(1)) == 0)
        #expect(limiter.acquire(at: .at(2)) == .allowed)
        // No burst right after a throttle: the next slot is one interval later.
        #expect(limiter.acquire(at: .at(2)) == .wait(.milliseconds(100)))
        #expect(limiter.acquire(at: .at(2.1)) == .allowed)
    }

    @Test func anEarlierPauseNeverShortensALaterOne() {
        var limiter = RateLimiter(rate: .perSecond(1))
        limiter.pause(until: .at(10))
        limiter.pause(until: .at(5))
        #expect(limiter.pausedUntil == .at(10))
        #expect(limiter.acquire(at: .at(6)) == .wait(.seconds(4)))
    }

    @Test func peekDoesNotTakeASlot() {
        var limiter = RateLimiter(rate: .perSecond(1))
        #expect(limiter.peek(at: .origin) == .allowed)
        #expect(limiter.peek(at: .origin) == .allowed)
        #expect(limiter.acquire(at: .origin) == .allowed)
        #expect(limiter.peek(at: .origin) == .wait(.seconds(1)))
    }

    @Test func tokensAvailableTracksTheBucket() {
        var limiter = RateLimiter(rate: .perSecond(1), burst: 4)
        #expect(limiter.tokensAvailable(at: .origin) == 4)
        _ = limiter.acquire(at: .origin)
        _ = limiter.acquire(at: .origin)
        #expect(limiter.tokensAvailable(at: .origin) == 2)
        #expect(limiter.tokensAvailable(at: .at(0.5)) == 2.5)
        #expect(limiter.tokensAvailable(at: .at(10)) == 4)
    }

    /// Property: whatever the arrival pattern, no window of length W holds more than
    /// floor(W / interval) + burst allowed requests, and a waiting request is allowed at the time given.
    @Test(arguments: 0..<40)
    func neverMoreThanRateTimesWindowPlusBurst(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let rate = RateLimiter.Rate(Int.random(in: 1...30, using: &random), per: .milliseconds(Int.random(in: 100...5000, using: &random)))
        let burst = Int.random(in: 1...8, using: &random)
        var limiter = RateLimiter(rate: rate, burst: burst)
        var now = Instant.origin
        var allowed: [Instant] = []
        for _ in 0..<400 {
            // Mix of simultaneous arrivals, short gaps, long idle spells, and occasional pauses.
            switch Int.random(in: 0..<10, using: &random) {
            case 0: now = now + .milliseconds(Int.random(in: 0...20_000, using: &random))
            case 1: limiter.pause(until: now + .milliseconds(Int.random(in: 0...3000, using: &random)))
            case 2...4: break
            default: now = now + .microseconds(Int.random(in: 0...Int(rate.emissionInterval / .microseconds(1)) * 2, using: &random))
            }
            switch limiter.acquire(at: now) {
            case .allowed:
                allowed.append(now)
            case let .wait(duration):
                #expect(duration > .zero)
                if Bool.random(using: &random) {
                    #expect(limiter.acquire(at: now + duration) == .allowed)
                    allowed.append(now + duration)
                    now = now + duration
                }
            }
        }
        for windowLength in [rate.emissionInterval, rate.period, rate.period * 3, .seconds(1), .seconds(60)] {
            let bound = Int(windowLength / rate.emissionInterval) + burst
            #expect(maxInAnyWindow(allowed, length: windowLength) <= bound, "window \(windowLength), rate \(rate), burst \(burst)")
        }
    }

    @Test(arguments: [
        (RateLimiter.Configuration(rate: RateLimiter.Rate(0, per: .seconds(1))), "rate"),
        (RateLimiter.Configuration(rate: RateLimiter.Rate(1, per: .zero)), "rate"),
        (RateLimiter.Configuration(rate: .perSecond(1), burst: 0), "burst"),
    ])
    func invalidConfigurationNamesTheKey(configuration: RateLimiter.Configuration, key: String) {
        #expect {
            try configuration.validate()
        } throws: { error in
            guard case let .invalid(badKey, _) = error as? SettingError else { return false }
            return badKey == key
        }
    }
}
