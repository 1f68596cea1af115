import Foundation
import Scheduling

/// Fires at each run of a cron schedule. Time comes from `now` and `sleep` so tests drive it with a
/// clock of their own; the service reads the wall clock and sleeps in steps of at most a minute, so a
/// clock that is set (or a suspended machine) never makes it miss a run by long.
public struct ScanTrigger: Sendable {
    public let schedule: CronExpression
    public let timeZone: TimeZone
    let now: @Sendable () -> Date
    /// Returns at or after the instant given; throws when cancelled.
    let sleep: @Sendable (Date) async throws -> Void

    public init(schedule: CronExpression, timeZone: TimeZone,
                now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (Date) async throws -> Void = ScanTrigger.sleep(until:)) {
        self.schedule = schedule
        self.timeZone = timeZone
        self.now = now
        self.sleep = sleep
    }

    /// The next run after now, if the schedule has one.
    public var nextRun: Date? { schedule.nextRun(after: now(), in: timeZone) }

    /// Calls `fire` with each scheduled time as it comes, until cancelled.
    public func run(_ fire: @Sendable (Date) async -> Void) async {
        while !Task.isCancelled, let next = nextRun {
            do { try await sleep(next) } catch { return }
            await fire(next)
        }
    }

    public static func sleep(until date: Date) async throws {
        while case let left = date.timeIntervalSinceNow, left > 0 {
            try await Task.sleep(for: .seconds(min(left, 60)))
        }
    }
}
