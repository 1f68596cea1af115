/// When to retry a transient failure: exponential backoff with full jitter, capped
/// (delay before retry k is uniform in `0 ... min(cap, base * 2^(k-1))`, as in AWS's "Exponential
/// Backoff and Jitter"). The random source is passed in so tests are deterministic.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts including the first call; 3 means at most 2 retries.
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration

    public init(maxAttempts: Int = 3, base: Duration = .milliseconds(200), cap: Duration = .seconds(10)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
    }

    /// Checks the values once at start-up; the error names the offending key.
    public func validate() throws(SettingError) {
        guard maxAttempts >= 1 else { throw .invalid(key: "maxAttempts", reason: "must be at least 1, got \(maxAttempts)") }
        guard base > .zero else { throw .invalid(key: "base", reason: "must be positive, got \(base)") }
        guard cap >= base else { throw .invalid(key: "cap", reason: "must be at least base (\(base)), got \(cap)") }
    }

    /// The largest delay retry `k` can get: `min(cap, base * 2^(k-1))`. Does not look at `maxAttempts`.
    /// - Precondition: `k >= 1`.
    public func ceiling(beforeRetry k: Int) -> Duration {
        precondition(k >= 1, "retries are numbered from 1")
        var bound = base
        for _ in 1..<k {
            guard bound < cap else { break }
            bound = bound * 2
        }
        return min(bound, cap)
    }

    /// The delay before retry `k` (1 = the second attempt), or nil when `maxAttempts` are used up.
    /// Uniform over whole nanoseconds in `0 ... ceiling(beforeRetry: k)`.
    /// - Precondition: `k >= 1`.
    public func delay(beforeRetry k: Int, using generator: inout some RandomNumberGenerator) -> Duration? {
        precondition(k >= 1, "retries are numbered from 1")
        guard k < maxAttempts else { return nil }
        let bound = ceiling(beforeRetry: k)
        let (seconds, attoseconds) = bound.components
        let boundNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        return .nanoseconds(Int64(UInt64.random(in: 0...boundNanoseconds, using: &generator)))
    }

    /// Whether waiting `delay` still leaves more than `minimumAttemptTime` of the call's `remaining`
    /// deadline for the attempt itself; if not, the caller gives up now instead of sleeping in vain.
    public static func fits(_ delay: Duration, remaining: Duration, minimumAttemptTime: Duration = .zero) -> Bool {
        remaining - delay > minimumAttemptTime
    }
}
