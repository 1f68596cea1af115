import Testing
@testable import Resilience

@Suite struct CircuitBreakerTests {
    typealias Configuration = CircuitBreaker.Configuration

    /// Permits one call at `now` (which must be allowed) and records its outcome at once.
    @discardableResult
    private func call(_ breaker: inout CircuitBreaker, _ outcome: CircuitBreaker.Outcome, at now: Instant, duration: Duration = .milliseconds(100)) -> CircuitBreaker.Ticket? {
        guard case let .allowed(ticket) = breaker.permit(at: now) else {
            Issue.record("expected a permit at \(now), breaker is \(breaker.state)")
            return nil
        }
        breaker.record(outcome, for: ticket, duration: duration, at: now)
        return ticket
    }

    private func permitTicket(_ breaker: inout CircuitBreaker, at now: Instant) -> CircuitBreaker.Ticket? {
        if case let .allowed(ticket) = breaker.permit(at: now) { return ticket }
        Issue.record("expected a permit at \(now), breaker is \(breaker.state)")
        return nil
    }

    /// A breaker opened at `now` by `minimumCalls` failures.
    private func opened(_ configuration: Configuration = Configuration(), at now: Instant = .origin) -> CircuitBreaker {
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<configuration.minimumCalls { call(&breaker, .failure, at: now) }
        #expect(breaker.state == .open(until: now + configuration.waitDuration))
        return breaker
    }

    // MARK: closed -> open

    @Test(arguments: [
        // (failures, successes, threshold, opens)
        (9, 0, 0.5, false),   // below minimumCalls: 9 failures do not open with minimumCalls 10
        (10, 0, 0.5, true),
        (5, 5, 0.5, true),    // exactly at the threshold opens
        (4, 6, 0.5, false),
        (3, 7, 0.3, true),    // exactly at a threshold that is not a power of two
        (2, 8, 0.3, false),
        (7, 3, 0.7, true),
        (10, 0, 1.0, true),
        (9, 1, 1.0, false),
    ])
    func closedOpensAtTheThresholdOnceMinimumCallsAreIn(failures: Int, successes: Int, threshold: Double, opens: Bool) {
        var breaker = CircuitBreaker(configuration: Configuration(failureRateThreshold: threshold))
        for _ in 0..<successes { call(&breaker, .success, at: .origin) }
        for _ in 0..<failures { call(&breaker, .failure, at: .origin) }
        #expect(breaker.status.state == (opens ? .open : .closed))
    }

    @Test func failureRateIsNilBelowMinimumCalls() {
        var breaker = CircuitBreaker()
        for _ in 0..<9 { call(&breaker, .failure, at: .origin) }
        #expect(breaker.failureRate == nil)
        #expect(breaker.callsInWindow == 9)
        #expect(breaker.state == .closed)
        call(&breaker, .success, at: .origin)
        #expect(breaker.failureRate == 0.9)
        #expect(breaker.state == .open(until: .at(30)))
    }

    @Test func oldFailuresSlideOutOfTheWindow() {
        var breaker = CircuitBreaker(configuration: Configuration(slidingWindowSize: 10, minimumCalls: 10))
        for _ in 0..<4 { call(&breaker, .failure, at: .origin) }
        for _ in 0..<6 { call(&breaker, .success, at: .origin) }
        #expect(breaker.failureRate == 0.4)
        // Four more successes push the four failures out.
        for _ in 0..<4 { call(&breaker, .success, at: .origin) }
        #expect(breaker.failureRate == 0)
        #expect(breaker.callsInWindow == 10)
        // Now 5 new failures are needed; 4 leave it at 40 %.
        for _ in 0..<4 { call(&breaker, .failure, at: .origin) }
        #expect(breaker.state == .closed)
        call(&breaker, .failure, at: .origin)
        #expect(breaker.status.state == .open)
    }

    @Test func windowBiggerThanMinimumCountsAllRecentCalls() {
        var breaker = CircuitBreaker()  // window 20, minimum 10
        for _ in 0..<12 { call(&breaker, .success, at: .origin) }
        for _ in 0..<8 { call(&breaker, .failure, at: .origin) }
        #expect(breaker.failureRate == 0.4)
        #expect(breaker.callsInWindow == 20)
        // Each failure now evicts a success: 9/20, then 10/20 opens.
        call(&breaker, .failure, at: .origin)
        #expect(breaker.state == .closed)
        call(&breaker, .failure, at: .origin)
        #expect(breaker.status.state == .open)
    }

    @Test func ignoredOutcomesAreNotCounted() {
        var breaker = CircuitBreaker()
        for _ in 0..<50 { call(&breaker, .ignore, at: .origin) }
        #expect(breaker.callsInWindow == 0)
        for _ in 0..<9 { call(&breaker, .failure, at: .origin) }
        call(&breaker, .ignore, at: .origin)
        #expect(breaker.state == .closed)
    }

    @Test(arguments: [
        // (slow calls, fast calls, opens)
        (5, 5, true),
        (4, 6, false),
    ])
    func slowCallsOpenWhenConfigured(slow: Int, fast: Int, opens: Bool) {
        let configuration = Configuration(slowCalls: .init(duration: .seconds(2), rateThreshold: 0.5))
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<fast { call(&breaker, .success, at: .origin, duration: .seconds(2)) }  // exactly 2 s is not slow
        for _ in 0..<slow { call(&breaker, .success, at: .origin, duration: .milliseconds(2001)) }
        #expect(breaker.status.state == (opens ? .open : .closed))
        #expect(breaker.failureRate == 0)
    }

    @Test func slowCallsAreIgnoredWhenNotConfigured() {
        var breaker = CircuitBreaker()
        for _ in 0..<20 { call(&breaker, .success, at: .origin, duration: .seconds(60)) }
        #expect(breaker.state == .closed)
        #expect(breaker.slowCallRate == nil)
    }

    // MARK: open

    @Test func openRejectsUntilTheWaitIsOver() {
        var breaker = opened(at: .at(5))
        #expect(breaker.permit(at: .at(5)) == .rejected(retryAt: .at(35)))
        #expect(breaker.permit(at: .at(34.999)) == .rejected(retryAt: .at(35)))
        #expect(breaker.status.nextProbeAt == .at(35))
        #expect(breaker.status.consecutiveOpens == 1)
    }

    // MARK: open -> half-open

    @Test func openBecomesHalfOpenOnTheFirstPermitAfterTheWait() {
        var breaker = opened()
        #expect(breaker.state == .open(until: .at(30)))  // time alone changes nothing
        guard case .allowed = breaker.permit(at: .at(30)) else { Issue.record("no probe"); return }
        #expect(breaker.state == .halfOpen(probesInFlight: 1, probesSucceeded: 0))
        #expect(breaker.status.nextProbeAt == nil)
    }

    @Test func halfOpenLetsOnlyThePermittedNumberOfProbesThrough() {
        var breaker = opened()
        for i in 1...3 {
            guard case .allowed = breaker.permit(at: .at(30 + Double(i))) else { Issue.record("probe \(i) refused"); return }
        }
        // The 4th waits for the earliest probe's deadline (issued at 31, timeout 10 s).
        #expect(breaker.permit(at: .at(34)) == .rejected(retryAt: .at(41)))
        #expect(breaker.state == .halfOpen(probesInFlight: 3, probesSucceeded: 0))
    }

    // MARK: half-open -> closed / open

    @Test func halfOpenClosesWhenAllProbesSucceed() {
        var breaker = opened()
        let tickets = (0..<3).compactMap { _ in permitTicket(&breaker, at: .at(30)) }
        breaker.record(.success, for: tickets[0], duration: .seconds(1), at: .at(31))
        breaker.record(.success, for: tickets[1], duration: .seconds(1), at: .at(31))
        #expect(breaker.state == .halfOpen(probesInFlight: 1, probesSucceeded: 2))
        // Successes do not free slots: still no 4th probe.
        #expect(breaker.permit(at: .at(31)) == .rejected(retryAt: .at(40)))
        breaker.record(.success, for: tickets[2], duration: .seconds(1), at: .at(31))
        #expect(breaker.state == .closed)
        #expect(breaker.callsInWindow == 0)  // window reset
        #expect(breaker.consecutiveOpens == 0)
    }

    @Test(arguments: [CircuitBreaker.Outcome.failure, .success])
    func halfOpenReopensOnAFailedOrSlowProbe(outcome: CircuitBreaker.Outcome) {
        let configuration = Configuration(slowCalls: .init(duration: .seconds(5), rateThreshold: 1))
        var breaker = opened(configuration)
        guard let first = permitTicket(&breaker, at: .at(30)), let second = permitTicket(&breaker, at: .at(30)) else { return }
        breaker.record(.success, for: first, duration: .seconds(1), at: .at(31))
        // A failure, or a success slower than slowCallDuration, reopens with a doubled wait.
        breaker.record(outcome, for: second, duration: outcome == .success ? .seconds(6) : .seconds(1), at: .at(32))
        #expect(breaker.state == .open(until: .at(32 + 60)))
        #expect(breaker.consecutiveOpens == 2)
    }

    @Test func anIgnoredProbeFreesItsSlot() {
        var breaker = CircuitBreaker(configuration: Configuration(permittedCallsInHalfOpen: 1))
        for _ in 0..<10 { call(&breaker, .failure, at: .origin) }
        guard let probe = permitTicket(&breaker, at: .at(30)) else { return }
        #expect(breaker.permit(at: .at(30)) == .rejected(retryAt: .at(40)))
        breaker.record(.ignore, for: probe, duration: .seconds(1), at: .at(31))  // throttled: says nothing
        #expect(breaker.state == .halfOpen(probesInFlight: 0, probesSucceeded: 0))
        call(&breaker, .success, at: .at(32))
        #expect(breaker.state == .closed)
    }

    @Test func aHangingProbeTimesOutAndReopens() {
        var breaker = opened()
        guard let probe = permitTicket(&breaker, at: .at(30)) else { return }
        breaker.tick(at: .at(39.999))
        #expect(breaker.state == .halfOpen(probesInFlight: 1, probesSucceeded: 0))
        breaker.tick(at: .at(40))
        // Reopened from the probe's deadline, with the doubled wait.
        #expect(breaker.state == .open(until: .at(40 + 60)))
        // Its late success is stale and changes nothing.
        breaker.record(.success, for: probe, duration: .seconds(11), at: .at(41))
        #expect(breaker.state == .open(until: .at(100)))
    }

    @Test func permitExpiresTimedOutProbesWithoutATick() {
        var breaker = opened()
        _ = permitTicket(&breaker, at: .at(30))
        // Nobody ticked; the next permit notices the probe expired at 40 and reopens until 100.
        #expect(breaker.permit(at: .at(50)) == .rejected(retryAt: .at(100)))
    }

    @Test func aProbeResultArrivingAfterItsTimeoutCountsAsTimedOut() {
        var breaker = opened()
        guard let probe = permitTicket(&breaker, at: .at(30)) else { return }
        breaker.record(.success, for: probe, duration: .seconds(10), at: .at(40))
        #expect(breaker.state == .open(until: .at(100)))
    }

    // MARK: growing wait

    @Test func waitGrowsOnRepeatedOpensUpToTheCapAndResetsOnClose() {
        var breaker = opened()
        var now = Instant.at(30)
        var waits: [Duration] = []
        for _ in 0..<6 {
            guard let probe = permitTicket(&breaker, at: now) else { return }
            breaker.record(.failure, for: probe, duration: .seconds(1), at: now)
            guard case let .open(until) = breaker.state else { Issue.record("not open"); return }
            waits.append(until - now)
            now = until
        }
        #expect(waits == [60, 120, 240, 300, 300, 300].map { Duration.seconds($0) })
        #expect(breaker.consecutiveOpens == 7)
        // Close it, then open it again: back to the base wait.
        for _ in 0..<3 { call(&breaker, .success, at: now) }
        #expect(breaker.state == .closed)
        for _ in 0..<10 { call(&breaker, .failure, at: now) }
        #expect(breaker.state == .open(until: now + .seconds(30)))
        #expect(breaker.consecutiveOpens == 1)
    }

    // MARK: stale tickets

    @Test func aTicketFromBeforeATransitionIsIgnored() {
        var breaker = CircuitBreaker()
        guard let early = permitTicket(&breaker, at: .origin) else { return }
        for _ in 0..<10 { call(&breaker, .failure, at: .origin) }
        #expect(breaker.status.state == .open)
        // Late outcome of a call permitted while closed: not counted, no effect on the open state.
        breaker.record(.failure, for: early, duration: .seconds(1), at: .at(1))
        #expect(breaker.state == .open(until: .at(30)))
        // Half-open: the old ticket cannot take a probe slot or close the breaker.
        guard let probe = permitTicket(&breaker, at: .at(30)) else { return }
        breaker.record(.success, for: early, duration: .seconds(1), at: .at(30))
        #expect(breaker.state == .halfOpen(probesInFlight: 1, probesSucceeded: 0))
        breaker.record(.success, for: probe, duration: .seconds(1), at: .at(30))
        breaker.record(.success, for: probe, duration: .seconds(1), at: .at(30))  // recorded twice: once counts
        #expect(breaker.state == .halfOpen(probesInFlight: 0, probesSucceeded: 1))
        for _ in 0..<2 { call(&breaker, .success, at: .at(31)) }
        #expect(breaker.state == .closed)
        // And after closing, the old ticket still counts for nothing.
        breaker.record(.failure, for: early, duration: .seconds(1), at: .at(32))
        #expect(breaker.callsInWindow == 0)
    }

    // MARK: status

    @Test func statusReportsWhatThePageShows() {
        var breaker = CircuitBreaker()
        for _ in 0..<9 { call(&breaker, .success, at: .origin) }
        #expect(breaker.status == .init(state: .closed, failureRate: nil, slowCallRate: nil, callsInWindow: 9, nextProbeAt: nil, consecutiveOpens: 0))
        for _ in 0..<9 { call(&breaker, .failure, at: .origin) }
        #expect(breaker.status == .init(state: .open, failureRate: 0.5, slowCallRate: nil, callsInWindow: 18, nextProbeAt: .at(30), consecutiveOpens: 1))
        _ = breaker.permit(at: .at(30))
        #expect(breaker.status.state == .halfOpen)
        #expect(breaker.status.state.rawValue == "half-open")
    }

    // MARK: configuration

    @Test(arguments: [
        (Configuration(slidingWindowSize: 0), "slidingWindowSize"),
        (Configuration(slidingWindowSize: 5, minimumCalls: 10), "minimumCalls"),
        (Configuration(failureRateThreshold: 0), "failureRateThreshold"),
        (Configuration(failureRateThreshold: 1.5), "failureRateThreshold"),
        (Configuration(slowCalls: .init(duration: .zero, rateThreshold: 0.5)), "slowCallDuration"),
        (Configuration(slowCalls: .init(duration: .seconds(1), rateThreshold: 0)), "slowCallRateThreshold"),
        (Configuration(waitDuration: .zero), "waitDuration"),
        (Configuration(waitDurationMultiplier: 0.5), "waitDurationMultiplier"),
        (Configuration(waitDuration: .seconds(60), maxWaitDuration: .seconds(30)), "maxWaitDuration"),
        (Configuration(permittedCallsInHalfOpen: 0), "permittedCallsInHalfOpen"),
        (Configuration(probeTimeout: .zero), "probeTimeout"),
    ])
    func invalidConfigurationNamesTheKey(configuration: Configuration, key: String) {
        do {
            try configuration.validate()
            Issue.record("\(key) accepted")
        } catch {
            guard case let .invalid(badKey, _) = error else { return }
            #expect(badKey == key)
        }
    }

    @Test func defaultsMatchTheIssue() throws {
        let configuration = Configuration()
        try configuration.validate()
        #expect(configuration.slidingWindowSize == 20)
        #expect(configuration.minimumCalls == 10)
        #expect(configuration.failureRateThreshold == 0.5)
        #expect(configuration.waitDuration == .seconds(30))
        #expect(configuration.maxWaitDuration == .seconds(300))
        #expect(configuration.permittedCallsInHalfOpen == 3)
    }
}
