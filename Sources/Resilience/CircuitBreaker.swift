/// A per-provider circuit breaker with resilience4j's semantics, as a value type driven by `permit`,
/// `record` and `tick` with the time passed in. Closed: calls flow and outcomes fill a count-based
/// window; enough failures (or slow calls) open it. Open: calls are rejected until the wait is over.
/// Half-open: a few probes go through; all succeeding closes it, any failing or hanging reopens it with
/// a longer wait.
public struct CircuitBreaker: Sendable {
    /// What the caller learned from a call. The caller classifies: only transient errors are
    /// `.failure`; not-found is a `.success` (the provider answered); a throttle answer is `.ignore` (it
    /// pauses the rate limiter instead and says nothing about the provider's health) — an ignored probe
    /// frees its half-open slot.
    public enum Outcome: Sendable, Equatable {
        case success
        case failure
        case ignore
    }

    /// Proof that a call was permitted; hand it back to `record`. Tickets from before a state change
    /// are stale and their outcomes are dropped.
    public struct Ticket: Sendable, Hashable {
        fileprivate let generation: UInt64
        fileprivate let serial: UInt64
    }

    public enum Permit: Sendable, Equatable {
        case allowed(Ticket)
        /// Not now; ask again at `retryAt` (end of the open wait, or the earliest probe deadline).
        case rejected(retryAt: Instant)
    }

    public enum State: Sendable, Equatable {
        case closed
        case open(until: Instant)
        case halfOpen(probesInFlight: Int, probesSucceeded: Int)
    }

    public let configuration: Configuration
    /// Opens since the breaker last closed; drives the growing wait.
    public private(set) var consecutiveOpens = 0

    private var phase: Phase = .closed
    private var window: CallWindow
    private var currentWait: Duration
    /// Bumped on every transition; a ticket is valid only for its generation.
    private var generation: UInt64 = 0
    private var nextSerial: UInt64 = 0
    /// Half-open probes in flight: serial -> issue time.
    private var probes: [UInt64: Instant] = [:]
    private var probesSucceeded = 0

    private enum Phase: Sendable, Equatable {
        case closed
        case open(until: Instant)
        case halfOpen
    }

    /// - Precondition: `configuration.validate()` passes.
    public init(configuration: Configuration = Configuration()) {
        precondition((try? configuration.validate()) != nil, "invalid circuit breaker configuration \(configuration)")
        self.configuration = configuration
        self.window = CallWindow(capacity: configuration.slidingWindowSize)
        self.currentWait = configuration.waitDuration
    }

    public var state: State {
        switch phase {
        case .closed: .closed
        case let .open(until): .open(until: until)
        case .halfOpen: .halfOpen(probesInFlight: probes.count, probesSucceeded: probesSucceeded)
        }
    }

    /// Asks to make a call at `now`. Moves open -> half-open once the wait is over, and expires probes
    /// past `probeTimeout` first.
    public mutating func permit(at now: Instant) -> Permit {
        tick(at: now)
        if case let .open(until) = phase {
            guard now >= until else { return .rejected(retryAt: until) }
            transition(to: .halfOpen)
        }
        guard phase == .halfOpen else { return .allowed(issueTicket()) }
        guard probes.count + probesSucceeded < configuration.permittedCallsInHalfOpen else {
            let earliestDeadline = probes.values.min().map { $0 + configuration.probeTimeout }
            return .rejected(retryAt: earliestDeadline ?? now)
        }
        let ticket = issueTicket()
        probes[ticket.serial] = now
        return .allowed(ticket)
    }

    /// Records the outcome of a permitted call that took `duration`, finishing at `now`. Outcomes for
    /// stale tickets, or recorded twice for one probe, are ignored. Record each ticket once.
    public mutating func record(_ outcome: Outcome, for ticket: Ticket, duration: Duration, at now: Instant) {
        tick(at: now)
        guard ticket.generation == generation else { return }
        switch phase {
        case .closed:
            guard outcome != .ignore else { return }
            window.append(CallWindow.Entry(failed: outcome == .failure, slow: isSlow(duration)))
            if thresholdReached { open(at: now) }
        case .open:
            return  // opening bumps the generation, so no current ticket exists while open
        case .halfOpen:
            guard probes.removeValue(forKey: ticket.serial) != nil else { return }
            switch outcome {
            case .ignore:
                return
            case .failure:
                open(at: now)
            case .success where isSlow(duration):
                open(at: now)
            case .success:
                probesSucceeded += 1
                if probesSucceeded == configuration.permittedCallsInHalfOpen { close() }
            }
        }
    }

    /// Fails half-open probes whose `probeTimeout` has passed by `now` (the breaker reopens, counted from
    /// the probe's deadline). `permit` and `record` call it; an owner may call it on a timer too.
    public mutating func tick(at now: Instant) {
        guard phase == .halfOpen,
              let deadline = probes.values.min().map({ $0 + configuration.probeTimeout }),
              deadline <= now
        else { return }
        open(at: deadline)
    }

    // MARK: Readings

    /// Failures / calls in the window; nil until it holds `minimumCalls`.
    public var failureRate: Double? {
        window.count >= configuration.minimumCalls ? Double(window.failures) / Double(window.count) : nil
    }

    /// Slow calls / calls in the window; nil until it holds `minimumCalls` or when slow calls are off.
    public var slowCallRate: Double? {
        guard configuration.slowCalls != nil, window.count >= configuration.minimumCalls else { return nil }
        return Double(window.slowCalls) / Double(window.count)
    }

    public var callsInWindow: Int { window.count }

    /// When open, the instant the next permit becomes a probe.
    public var nextProbeAt: Instant? {
        if case let .open(until) = phase { until } else { nil }
    }

    // MARK: Transitions

    private var thresholdReached: Bool {
        if let failureRate, failureRate >= configuration.failureRateThreshold { return true }
        if let slowCallRate, let slowCalls = configuration.slowCalls, slowCallRate >= slowCalls.rateThreshold { return true }
        return false
    }

    /// Slow means strictly longer than the configured duration (as resilience4j).
    private func isSlow(_ duration: Duration) -> Bool {
        guard let slowCalls = configuration.slowCalls else { return false }
        return duration > slowCalls.duration
    }

    private mutating func issueTicket() -> Ticket {
        nextSerial &+= 1
        return Ticket(generation: generation, serial: nextSerial)
    }

    private mutating func open(at instant: Instant) {
        consecutiveOpens += 1
        if consecutiveOpens == 1 {
            currentWait = configuration.waitDuration
        } else {
            currentWait = min(configuration.maxWaitDuration, currentWait * configuration.waitDurationMultiplier)
        }
        transition(to: .open(until: instant + currentWait))
    }

    private mutating func close() {
        consecutiveOpens = 0
        currentWait = configuration.waitDuration
        window.removeAll()
        transition(to: .closed)
    }

    private mutating func transition(to newPhase: Phase) {
        generation &+= 1
        probes.removeAll()
        probesSucceeded = 0
        phase = newPhase
    }
}
