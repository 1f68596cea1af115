import Foundation

/// When a lookup that found no cover becomes due again: after the n-th such lookup in a row, the n-th
/// wait of its schedule (the last one repeating). A lookup that found nothing is retried on `notFound`,
/// one that failed (a source timed out, answered an error, or was misconfigured) on the usually shorter
/// `failed`. An empty schedule: never due again by itself. Permanent failures are never due.
public struct LookupRetrySchedule: Sendable, Equatable {
    public var notFound: [Duration]
    public var failed: [Duration]

    public init(notFound: [Duration], failed: [Duration]) {
        self.notFound = notFound
        self.failed = failed
    }

    /// Never retried by itself (only a forced job or a change of what the lookup depends on).
    public static let never = LookupRetrySchedule(notFound: [], failed: [])

    /// What a lookup without a cover came to.
    public enum Miss: Sendable { case notFound, failed }

    /// When a lookup that ended in `miss`, the `attempts`-th in a row without a cover, made at `now`, is due again.
    public func retryAt(after miss: Miss, attempts: Int, now: Date) -> Date? {
        let waits = miss == .notFound ? notFound : failed
        guard let wait = waits.isEmpty ? nil : waits[min(max(attempts, 1), waits.count) - 1] else { return nil }
        return now.addingTimeInterval(TimeInterval(wait.components.seconds))
    }

    /// Reads `off` (empty) or a comma-separated list of waits, each a whole number with a unit:
    /// `s`, `m`, `h` or `d` (`7d,30d,90d`; `30s` for tests). Each between 1 s and 3650 days.
    public static func parse(_ text: String) -> Result<[Duration], ScheduleError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "off" { return .success([]) }
        var waits: [Duration] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let unit = item.last, let factor = units[unit], let count = Int64(item.dropLast()), count > 0 else {
                return .failure(ScheduleError(item: String(part)))
            }
            let (seconds, overflow) = count.multipliedReportingOverflow(by: factor)
            guard !overflow, seconds <= maximumSeconds else { return .failure(ScheduleError(item: String(part))) }
            waits.append(.seconds(seconds))
        }
        return waits.isEmpty ? .failure(ScheduleError(item: text)) : .success(waits)
    }

    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    static let maximumSeconds: Int64 = 3650 * 86_400

    public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
        public let item: String
        public var description: String {
            "'\(item)' is not a wait: write a whole number and a unit (s, m, h, d) up to 3650d, as in 7d,30d,90d, or off"
        }
    }
}

extension ImageLookup {
    /// The record of a lookup that found no cover, counting it after `previous` (the entity's lookup
    /// before it) and due again as `schedule` says; `sources`: those asked, none of which gave a cover.
    public static func miss(_ miss: LookupRetrySchedule.Miss, reason: String, sources: [String] = [], after previous: ImageLookup?,
                            schedule: LookupRetrySchedule, now: Date) -> ImageLookup {
        let attempts = misses(before: previous) + 1
        return ImageLookup(lookupAttemptedAt: now, failureReason: reason, permanentFailure: false, attempts: attempts,
                           retryAt: schedule.retryAt(after: miss, attempts: attempts, now: now), sources: sources)
    }

    /// Lookups in a row that found no cover, up to and including `previous` (0 when it found one).
    public static func misses(before previous: ImageLookup?) -> Int {
        guard let previous, previous.failureReason != nil else { return 0 }
        return previous.attempts
    }
}
