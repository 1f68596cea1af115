import Foundation
import Testing
@testable import Scheduling

@Suite("Cron next run")
struct CronNextRunTests {
    static let utc = zone("UTC")
    static let paris = zone("Europe/Paris")

    static func next(_ text: String, after: String, in timeZone: TimeZone = utc) throws -> Date? {
        try CronExpression(text).nextRun(after: instant(after), in: timeZone)
    }

    @Test("next run in UTC: field forms, boundaries, strictly after", arguments: [
        ("*/15 * * * *", "2026-01-01T10:07:00Z", "2026-01-01T10:15:00Z"),
        ("0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"),  // strictly after
        ("* * * * *", "2026-01-01T10:00:30Z", "2026-01-01T10:01:00Z"),
        ("10-50/10 * * * *", "2026-01-01T10:50:00Z", "2026-01-01T11:10:00Z"),
        ("5/10 9 * * *", "2026-01-01T09:56:00Z", "2026-01-02T09:05:00Z"),
        ("0 */6 * * *", "2026-01-01T13:00:00Z", "2026-01-01T18:00:00Z"),
        ("0 2 * * *", "2026-01-31T03:00:00Z", "2026-02-01T02:00:00Z"),  // month boundary
        ("0 0 1 * *", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"),  // year boundary
        ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
        ("0 0 31 * *", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"),  // April has 30 days
        ("0 0 31 * *", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"),
        ("0 0 31 * *", "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z"),  // September has 30 days
        ("0 0 29 2 *", "2027-01-01T00:00:00Z", "2028-02-29T00:00:00Z"),  // leap day
        ("0 0 29 2 *", "2097-03-01T00:00:00Z", "2104-02-29T00:00:00Z"),  // 2100 is not a leap year
        ("0 0 * feb *", "2026-02-28T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("0 12 1 jan-mar/2 *", "2026-01-01T12:00:00Z", "2026-03-01T12:00:00Z"),
        ("0 9 * * mon-fri", "2026-01-09T10:00:00Z", "2026-01-12T09:00:00Z"),  // Friday -> Monday
        ("0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),  // Thursday -> Sunday
        ("0 0 * * sun", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
        ("0 0 * * 1", "2026-12-29T00:00:00Z", "2027-01-04T00:00:00Z"),
    ])
    func utcRuns(text: String, after: String, expected: String) throws {
        #expect(try Self.next(text, after: after) == instant(expected))
    }

    @Test("day-of-month and day-of-week: either when both restricted, the other when one starts with *", arguments: [
        ("0 0 13 * fri", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),  // Friday 2nd, before the 13th
        ("0 0 13 * fri", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"),  // Tuesday 13th, before Friday 16th
        ("0 0 1,15 * mon", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),
        ("0 0 13 * *", "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z"),
        ("0 0 * * fri", "2026-01-09T00:00:00Z", "2026-01-16T00:00:00Z"),
        ("0 0 */2 * mon", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),  // odd days AND Mondays (Vixie)
        ("0 0 31 2 mon", "2026-01-27T00:00:00Z", "2026-02-02T00:00:00Z"),  // impossible day, Mondays still run
    ])
    func dayRule(text: String, after: String, expected: String) throws {
        #expect(try Self.next(text, after: after) == instant(expected))
    }

    @Test("impossible expressions end the search with nil", arguments: [
        "0 0 30 feb *", "0 0 31 apr *", "0 0 31 2,4,6,9,11 *", "* * 30 2 *",
    ])
    func impossible(text: String) throws {
        let expression = try CronExpression(text)
        // Returning at all shows the search is bounded; nil shows it gave up rather than inventing a run.
        #expect(expression.nextRun(after: instant("2026-01-01T00:00:00Z"), in: Self.utc) == nil)
    }

    @Test("evaluated on the clocks of the time zone", arguments: [
        ("0 2 * * *", "UTC", "2026-01-10T00:00:00Z", "2026-01-10T02:00:00Z"),
        ("0 2 * * *", "Europe/Paris", "2026-01-10T00:00:00Z", "2026-01-10T01:00:00Z"),  // CET +1
        ("0 2 * * *", "Europe/Paris", "2026-07-10T00:00:00Z", "2026-07-11T00:00:00Z"),  // CEST +2, strictly after
        ("0 2 * * *", "Europe/Paris", "2026-07-09T23:59:00Z", "2026-07-10T00:00:00Z"),
        ("0 0 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-01T18:30:00Z"),  // +5:30
        ("0 9 * * mon", "Pacific/Auckland", "2026-01-04T12:00:00Z", "2026-01-04T20:00:00Z"),  // 01:00 Monday there
        ("0 0 1 * *", "America/New_York", "2026-01-31T12:00:00Z", "2026-02-01T05:00:00Z"),
    ])
    func timeZones(text: String, identifier: String, after: String, expected: String) throws {
        #expect(try Self.next(text, after: after, in: zone(identifier)) == instant(expected))
    }

    // Europe/Paris 2027: clocks go 02:00 CET -> 03:00 CEST on 28 March (01:00 UTC)
    // and 03:00 CEST -> 02:00 CET on 31 October (01:00 UTC).
    @Test("spring forward: a skipped local time does not run that day", arguments: [
        ("30 2 * * *", "2027-03-27T12:00:00Z", "2027-03-29T00:30:00Z"),  // no 02:30 on the 28th
        ("0 * * * *", "2027-03-28T00:30:00Z", "2027-03-28T01:00:00Z"),  // 01:00 CET -> 03:00 CEST
        ("*/30 * * * *", "2027-03-28T00:30:00Z", "2027-03-28T01:00:00Z"),
        ("59 1 * * *", "2027-03-27T12:00:00Z", "2027-03-28T00:59:00Z"),
        ("0 3 * * *", "2027-03-27T12:00:00Z", "2027-03-28T01:00:00Z"),
    ])
    func springForward(text: String, after: String, expected: String) throws {
        #expect(try Self.next(text, after: after, in: Self.paris) == instant(expected))
    }

    @Test("fall back: a repeated local time runs once, at its first occurrence", arguments: [
        ("30 2 * * *", "2027-10-30T12:00:00Z", "2027-10-31T00:30:00Z"),  // 02:30 CEST
        ("30 2 * * *", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"),  // not again at 02:30 CET
        ("30 2 * * *", "2027-10-31T01:10:00Z", "2027-11-01T01:30:00Z"),  // from inside the repeated hour
        ("*/30 * * * *", "2027-10-31T00:30:00Z", "2027-10-31T02:00:00Z"),  // 02:30 CEST -> 03:00 CET
        ("0 3 * * *", "2027-10-30T12:00:00Z", "2027-10-31T02:00:00Z"),
    ])
    func fallBack(text: String, after: String, expected: String) throws {
        #expect(try Self.next(text, after: after, in: Self.paris) == instant(expected))
    }

    @Test("fall back: 30 2 * * * runs exactly once on 31 October 2027 in Paris")
    func fallBackRunsOnce() throws {
        let expression = try CronExpression("30 2 * * *")
        var runs: [Date] = []
        var cursor = instant("2027-10-30T22:00:00Z")  // midnight local
        while let run = expression.nextRun(after: cursor, in: Self.paris), run < instant("2027-10-31T23:00:00Z") {
            runs.append(run)
            cursor = run
        }
        #expect(runs == [instant("2027-10-31T00:30:00Z")])
    }

    @Test("a fractional start is handled by instants, not wall minutes")
    func fractionalStart() throws {
        let expression = try CronExpression("0 10 * * *")
        let justBefore = instant("2026-01-01T10:00:00Z").addingTimeInterval(-0.25)
        #expect(expression.nextRun(after: justBefore, in: Self.utc) == instant("2026-01-01T10:00:00Z"))
        #expect(expression.nextRun(after: justBefore.addingTimeInterval(0.5), in: Self.utc) == instant("2026-01-02T10:00:00Z"))
    }

    /// Cross-checks the calendar walk against Foundation's `Calendar`, minute by minute, in zones without
    /// daylight saving (where every local minute exists exactly once).
    @Test("agrees with a minute-by-minute walk using Calendar", arguments: [
        "*/7 3-5 * * *", "0 0 1,15 * mon", "15 */5 */3 * *", "0 12 * * sat,sun", "45 23 28-31 * *", "0 0 * * */2",
    ])
    func agreesWithCalendar(text: String) throws {
        let expression = try CronExpression(text)
        for identifier in ["UTC", "Asia/Kolkata"] {
            let timeZone = zone(identifier)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            var expected: [Date] = []
            var minute = instant("2026-02-20T00:00:00Z")
            let end = instant("2026-03-12T00:00:00Z")
            while minute < end {
                let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: minute)
                if expression.minutes.contains(parts.minute!), expression.hours.contains(parts.hour!),
                   expression.matchesDay(month: parts.month!, day: parts.day!, weekday: parts.weekday! - 1) {
                    expected.append(minute)
                }
                minute.addTimeInterval(60)
            }
            var actual: [Date] = []
            var cursor = instant("2026-02-20T00:00:00Z").addingTimeInterval(-1)
            while let run = expression.nextRun(after: cursor, in: timeZone), run < end {
                actual.append(run)
                cursor = run
            }
            #expect(actual == expected, "\(text) in \(identifier)")
        }
    }

    @Test("minimum interval between consecutive runs", arguments: [
        ("0 */6 * * *", 7 * 86_400.0, 21_600.0 as TimeInterval?),
        ("*/15 * * * *", 86_400, 900),
        ("* * * * *", 86_400, 60),
        ("0 9 * * 1-5", 14 * 86_400, 86_400),
        ("0 0 * * 1", 35 * 86_400, 604_800),
        ("0 9,17 * * *", 3 * 86_400, 28_800),
        ("0 * * * *", 3600, 3600),  // both ends of the window count
        ("0 0 1 1 *", 35 * 86_400, nil),  // a single run
        ("0 0 30 feb *", 35 * 86_400, nil),
    ] as [(String, TimeInterval, TimeInterval?)])
    func minimumInterval(text: String, horizon: TimeInterval, expected: TimeInterval?) throws {
        let expression = try CronExpression(text)
        #expect(expression.minimumInterval(from: instant("2026-01-05T10:00:00Z"), over: horizon, in: Self.utc) == expected)
    }

    @Test("minimum interval is elapsed time, so daylight saving shortens a gap")
    func minimumIntervalAcrossDST() throws {
        let expression = try CronExpression("0 1,3 * * *")
        let start = instant("2027-03-27T00:00:00Z")
        #expect(expression.minimumInterval(from: start, over: 3 * 86_400, in: Self.paris) == 3600)
        #expect(expression.minimumInterval(from: start, over: 3 * 86_400, in: Self.utc) == 7200)
    }
}
