extension CircuitBreaker {
    /// resilience4j's count-based breaker settings, with its defaults where Enricher has none of its own.
    public struct Configuration: Sendable, Equatable {
        /// Slow-call rule: a call taking longer than `duration` is slow; slow calls open the breaker
        /// when their share of the window reaches `rateThreshold`.
        public struct SlowCalls: Sendable, Equatable {
            public var duration: Duration
            public var rateThreshold: Double

            public init(duration: Duration, rateThreshold: Double) {
                self.duration = duration
                self.rateThreshold = rateThreshold
            }
        }

        /// The window holds the outcomes of the last N recorded calls.
        public var slidingWindowSize: Int
        /// No rate is computed (and the breaker cannot open) until the window holds this many calls.
        public var minimumCalls: Int
        /// Opens when failures / calls >= this (0 < t <= 1).
        public var failureRateThreshold: Double
        /// nil: duration is ignored.
        public var slowCalls: SlowCalls?
        /// How long the first open lasts.
        public var waitDuration: Duration
        /// Each reopen from half-open multiplies the wait by this, up to `maxWaitDuration`.
        public var waitDurationMultiplier: Double
        public var maxWaitDuration: Duration
        /// Probes let through in half-open; all must succeed to close.
        public var permittedCallsInHalfOpen: Int
        /// A probe with no result within this counts as failed.
        public var probeTimeout: Duration

        public init(
            slidingWindowSize: Int = 20,
            minimumCalls: Int = 10,
            failureRateThreshold: Double = 0.5,
            slowCalls: SlowCalls? = nil,
            waitDuration: Duration = .seconds(30),
            waitDurationMultiplier: Double = 2,
            maxWaitDuration: Duration = .seconds(300),
            permittedCallsInHalfOpen: Int = 3,
            probeTimeout: Duration = .seconds(10)
        ) {
            self.slidingWindowSize = slidingWindowSize
            self.minimumCalls = minimumCalls
            self.failureRateThreshold = failureRateThreshold
            self.slowCalls = slowCalls
            self.waitDuration = waitDuration
            self.waitDurationMultiplier = waitDurationMultiplier
            self.maxWaitDuration = maxWaitDuration
            self.permittedCallsInHalfOpen = permittedCallsInHalfOpen
            self.probeTimeout = probeTimeout
        }

        /// Checks the values once at start-up; the error names the offending key.
        public func validate() throws(SettingError) {
            guard slidingWindowSize >= 1 else {
                throw .invalid(key: "slidingWindowSize", reason: "must be at least 1, got \(slidingWindowSize)")
            }
            guard (1...slidingWindowSize).contains(minimumCalls) else {
                throw .invalid(key: "minimumCalls", reason: "must be in 1...slidingWindowSize (\(slidingWindowSize)), got \(minimumCalls)")
            }
            guard failureRateThreshold > 0, failureRateThreshold <= 1 else {
                throw .invalid(key: "failureRateThreshold", reason: "must be in (0, 1], got \(failureRateThreshold)")
            }
            if let slowCalls {
                guard slowCalls.duration > .zero else {
                    throw .invalid(key: "slowCallDuration", reason: "must be positive, got \(slowCalls.duration)")
                }
                guard slowCalls.rateThreshold > 0, slowCalls.rateThreshold <= 1 else {
                    throw .invalid(key: "slowCallRateThreshold", reason: "must be in (0, 1], got \(slowCalls.rateThreshold)")
                }
            }
            guard waitDuration > .zero else {
                throw .invalid(key: "waitDuration", reason: "must be positive, got \(waitDuration)")
            }
            guard waitDurationMultiplier >= 1 else {
                throw .invalid(key: "waitDurationMultiplier", reason: "must be at least 1, got \(waitDurationMultiplier)")
            }
            guard maxWaitDuration >= waitDuration else {
                throw .invalid(key: "maxWaitDuration", reason: "must be at least waitDuration (\(waitDuration)), got \(maxWaitDuration)")
            }
            guard permittedCallsInHalfOpen >= 1 else {
                throw .invalid(key: "permittedCallsInHalfOpen", reason: "must be at least 1, got \(permittedCallsInHalfOpen)")
            }
            guard probeTimeout > .zero else {
                throw .invalid(key: "probeTimeout", reason: "must be positive, got \(probeTimeout)")
            }
        }
    }
}
