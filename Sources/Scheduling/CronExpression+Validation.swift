import Foundation

extension CronExpression {
    /// The service's rule for a configured schedule: refuse it if it does not parse, never runs, or has two
    /// consecutive runs less than `minimumGap` apart after `now`, up to `now + horizon` (five weeks by
    /// default, so a daylight-saving change in the coming weeks is seen). The first offending pair is reported.
    public static func validateSchedule(
        _ text: String,
        timeZone: TimeZone,
        now: Date,
        horizon: TimeInterval = 5 * 7 * 86_400,
        minimumGap: TimeInterval = 3600
    ) -> Result<CronExpression, CronError> {
        let expression: CronExpression
        do throws(CronError) {
            expression = try CronExpression(text)
        } catch {
            return .failure(error)
        }
        let clock = WallClock(timeZone: timeZone)
        guard let first = expression.nextRun(after: now, on: clock) else {
            return .failure(.neverRuns(expression.description))
        }
        let end = now.addingTimeInterval(horizon)
        for (earlier, later) in expression.consecutiveRuns(startingWith: first, through: end, on: clock)
        where later.timeIntervalSince(earlier) < minimumGap {
            return .failure(.runsTooClose(first: earlier, second: later, timeZone: timeZone, minimumGap: minimumGap))
        }
        return .success(expression)
    }
}
