/// A per-provider request limiter using GCRA (the generic cell rate algorithm): it admits at most
/// `burst` requests at once and then one per emission interval, and never admits more than
/// `floor(window / interval) + burst` requests in any window. It is a value type; the actor that owns
/// it passes the time in.
///
/// GCRA keeps one instant, the theoretical arrival time (TAT). A request at `now` is allowed when
/// `now >= TAT - tolerance`, where `tolerance = interval * (burst - 1)`; allowing it moves TAT to
/// `max(TAT, now) + interval`.
public struct RateLimiter: Sendable, Equatable {
    /// `count` requests per `period`: 1 per second, 6 per minute, 100 per 5 minutes.
    public struct Rate: Sendable, Hashable {
        public var count: Int
        public var period: Duration

        public init(_ count: Int, per period: Duration) {
            self.count = count
            self.period = period
        }

        public static func perSecond(_ count: Int) -> Rate { Rate(count, per: .seconds(1)) }
        public static func perMinute(_ count: Int) -> Rate { Rate(count, per: .seconds(60)) }

        /// Time between two requests at the steady rate (`period / count`).
        public var emissionInterval: Duration { period / count }
    }

    public struct Configuration: Sendable, Equatable {
        public var rate: Rate
        /// Requests that may be made back to back after an idle spell; 1 means strict pacing.
        public var burst: Int
        /// Added to every interval: the time from taking a slot to the request reaching the provider varies
        /// (thread hand-offs, connecting), so slots exactly `period / count` apart can arrive closer than
        /// the provider allows (see STACK.md).
        public var margin: Duration

        public init(rate: Rate, burst: Int = 1, margin: Duration = .zero) {
            self.rate = rate
            self.burst = burst
            self.margin = margin
        }

        /// Checks the values once at start-up; the error names the offending key.
        public func validate() throws(SettingError) {
            guard rate.count >= 1 else { throw .invalid(key: "rate", reason: "count must be at least 1, got \(rate.count)") }
            guard rate.period > .zero else { throw .invalid(key: "rate", reason: "period must be positive, got \(rate.period)") }
            guard rate.emissionInterval > .zero else { throw .invalid(key: "rate", reason: "\(rate.count) per \(rate.period) is too fast to represent") }
            guard burst >= 1 else { throw .invalid(key: "burst", reason: "must be at least 1, got \(burst)") }
            guard margin >= .zero else { throw .invalid(key: "margin", reason: "must not be negative, got \(margin)") }
        }
    }

    public let configuration: Configuration
    /// No request is allowed before this instant (set by `pause(until:)` after a throttle answer).
    public private(set) var pausedUntil: Instant?
    /// Theoretical arrival time; nil until the first request (the limiter starts with a full burst).
    public private(set) var theoreticalArrival: Instant?

    /// - Precondition: `configuration.validate()` passes.
    public init(configuration: Configuration, theoreticalArrival: Instant? = nil, pausedUntil: Instant? = nil) {
        precondition((try? configuration.validate()) != nil, "invalid rate limiter configuration \(configuration)")
        self.configuration = configuration
        self.theoreticalArrival = theoreticalArrival
        self.pausedUntil = pausedUntil
    }

    public init(rate: Rate, burst: Int = 1) {
        self.init(configuration: Configuration(rate: rate, burst: burst))
    }

    /// The spacing of slots: the steady rate's interval plus the safety margin.
    public var interval: Duration { configuration.rate.emissionInterval + configuration.margin }
    private var tolerance: Duration { interval * (configuration.burst - 1) }

    /// Reserves the earliest slot at or after `now`, even a future one, and returns when it is: the
    /// request may leave then and not before. Reserving several in a row gives consecutive slots.
    public mutating func reserve(at now: Instant) -> Instant {
        let slot = earliestAllowed(at: now)
        theoreticalArrival = max(theoreticalArrival ?? slot, slot) + interval
        return slot
    }

    /// The first instant at or after `now` at which a request would be allowed.
    public func earliestAllowed(at now: Instant) -> Instant {
        var earliest = now
        if let pausedUntil, pausedUntil > earliest { earliest = pausedUntil }
        if let theoreticalArrival, theoreticalArrival - tolerance > earliest { earliest = theoreticalArrival - tolerance }
        return earliest
    }

    /// Approximate requests that could be made back to back at `now` (0...burst, fractional while a
    /// slot refills); 0 while paused. For the status page, not for decisions.
    public func tokensAvailable(at now: Instant) -> Double {
        if let pausedUntil, now < pausedUntil { return 0 }
        guard let theoreticalArrival, theoreticalArrival > now else { return Double(configuration.burst) }
        let tokens = (tolerance + interval - (theoreticalArrival - now)) / interval
        return min(Double(configuration.burst), max(0, tokens))
    }

    /// Blocks every request before `instant` (a throttle answer's Retry-After). A later pause extends an
    /// earlier one; an earlier one never shortens it. After the pause the limiter resumes at the steady
    /// rate without a burst: the provider has just said we were too fast.
    public mutating func pause(until instant: Instant) {
        if let pausedUntil, pausedUntil >= instant { return }
        pausedUntil = instant
        theoreticalArrival = max(theoreticalArrival ?? instant, instant + tolerance)
    }
}
