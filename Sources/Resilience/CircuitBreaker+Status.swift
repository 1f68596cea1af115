extension CircuitBreaker {
    /// What `GET /v1/providers` shows about a breaker.
    public struct Status: Sendable, Equatable {
        public enum StateName: String, Sendable, Equatable, Codable {
            case closed, open, halfOpen = "half-open"
        }

        public var state: StateName
        /// nil below `minimumCalls`.
        public var failureRate: Double?
        /// nil below `minimumCalls` or when slow calls are not configured.
        public var slowCallRate: Double?
        public var callsInWindow: Int
        /// Set while open.
        public var nextProbeAt: Instant?
        public var consecutiveOpens: Int
    }

    public var status: Status {
        let name: Status.StateName = switch state {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
        return Status(
            state: name,
            failureRate: failureRate,
            slowCallRate: slowCallRate,
            callsInWindow: callsInWindow,
            nextProbeAt: nextProbeAt,
            consecutiveOpens: consecutiveOpens
        )
    }
}
