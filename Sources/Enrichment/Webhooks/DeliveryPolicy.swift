import Foundation

/// When a failed delivery is tried again: the configured wait before each retry, varied by up to
/// `jitter` either way, and never sooner than a `Retry-After` the receiver gave (429 or 503), which is
/// honoured up to the schedule's longest wait (a receiver cannot park a delivery for ever). A plain
/// value on dates passed in, so its rules are tested without waiting.
public struct DeliveryPolicy: Sendable, Equatable {
    /// Waits before retries 1, 2, ... (the first attempt is at once).
    public var schedule: [Duration]
    /// 0.2: each wait is between 80 % and 120 % of its entry.
    public var jitter: Double

    public init(schedule: [Duration], jitter: Double) {
        self.schedule = schedule
        self.jitter = jitter
    }

    /// Attempts in all: the first and one per schedule entry.
    public var maxAttempts: Int { schedule.count + 1 }

    /// When to try again after `attempts` failed attempts, or nil when none is left.
    public func nextAttempt<R: RandomNumberGenerator>(after attempts: Int, now: Date, retryAfter: Duration?, using random: inout R) -> Date? {
        guard attempts >= 1, attempts <= schedule.count else { return nil }
        let base = schedule[attempts - 1].seconds
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &random) : 1
        let longest = schedule.map(\.seconds).max() ?? 0
        return now.addingTimeInterval(max(base * factor, min(retryAfter?.seconds ?? 0, longest)))
    }
}
