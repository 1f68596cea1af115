import Foundation

extension CronExpression {
    /// The first minute strictly after `date` at which the expression runs, read on the clocks of `timeZone`.
    ///
    /// A local time skipped when clocks spring forward does not run that day; a local time repeated when
    /// they fall back runs once, at its first occurrence. Returns nil when nothing matches within
    /// `searchYears` (for example `0 0 30 feb *`).
    public func nextRun(after date: Date, in timeZone: TimeZone) -> Date? {
        nextRun(after: date, on: WallClock(timeZone: timeZone))
    }

    /// The shortest gap between consecutive runs inside `[start, start + horizon]`, or nil when fewer than
    /// two runs fall in that window. Gaps are real elapsed time, so daylight-saving changes count.
    public func minimumInterval(from start: Date, over horizon: TimeInterval, in timeZone: TimeZone) -> TimeInterval? {
        let clock = WallClock(timeZone: timeZone)
        // Runs fall on whole seconds, so at most one lies in (start - 1s, start).
        var first = nextRun(after: start.addingTimeInterval(-1), on: clock)
        if let early = first, early < start {
            first = nextRun(after: early, on: clock)
        }
        var shortest: TimeInterval?
        for (earlier, later) in consecutiveRuns(startingWith: first, through: start.addingTimeInterval(horizon), on: clock) {
            let gap = later.timeIntervalSince(earlier)
            shortest = min(shortest ?? gap, gap)
            if gap <= 60 { break }  // runs are whole minutes apart: nothing shorter can follow
        }
        return shortest
    }

    /// Pairs of consecutive runs from `first` on, while the later run is at or before `end`.
    func consecutiveRuns(startingWith first: Date?, through end: Date, on clock: WallClock) -> some Sequence<(Date, Date)> {
        return sequence(state: first) { (previous: inout Date?) -> (Date, Date)? in
            guard let earlier = previous, let later = nextRun(after: earlier, on: clock), later <= end else {
                return nil
            }
            previous = later
            return (earlier, later)
        }
    }

    func nextRun(after date: Date, on clock: WallClock) -> Date? {
        let after = date.timeIntervalSince1970
        // A wall time earlier than `date`'s maps (first occurrence) to an instant before `date`, so the walk
        // starts at `date`'s wall minute; one minute earlier lets the comparison of instants settle the edge.
        let firstMinute = WallClock.floorDivide(clock.wallSeconds(of: date), 60) - 1
        var day = WallClock.floorDivide(firstMinute, 1440)
        let lastDay = day + Self.searchYears * 366
        var civil = WallClock.civilDate(ofDay: day)

        while day <= lastDay {
            let monthLength = WallClock.daysInMonth(year: civil.year, month: civil.month)
            if months.contains(civil.month) {
                var weekday = WallClock.weekday(ofDay: day)
                while civil.day <= monthLength, day <= lastDay {
                    if matchesDay(month: civil.month, day: civil.day, weekday: weekday),
                       let run = firstRun(onDay: day, notBefore: firstMinute, after: after, on: clock) {
                        return run
                    }
                    civil.day += 1
                    day += 1
                    weekday = (weekday + 1) % 7
                }
            } else {
                day += monthLength - civil.day + 1  // skip the rest of a month that never matches
            }
            civil = civil.month == 12
                ? WallClock.CivilDate(year: civil.year + 1, month: 1, day: 1)
                : WallClock.CivilDate(year: civil.year, month: civil.month + 1, day: 1)
        }
        return nil
    }

    private func firstRun(onDay day: Int, notBefore firstMinute: Int, after: TimeInterval, on clock: WallClock) -> Date? {
        for hour in hours.values {
            let hourStart = day * 1440 + hour * 60
            if hourStart + 59 < firstMinute { continue }
            for minute in minutes.values where hourStart + minute >= firstMinute {
                // nil: the clocks skip this minute (spring forward); it does not run.
                guard let instant = clock.firstInstant(ofWall: (hourStart + minute) * 60) else { continue }
                if TimeInterval(instant) > after {
                    return Date(timeIntervalSince1970: TimeInterval(instant))
                }
            }
        }
        return nil
    }
}
