import Foundation
import Testing
import Scheduling

@Suite("Schedule validation")
struct CronValidationTests {
    static let paris = zone("Europe/Paris")
    static let now = instant("2026-11-24T00:45:00Z")  // 01:45 in Paris

    @Test("schedules at least an hour apart pass", arguments: [
        "0 */6 * * *", "0 0 * * 1", "0 2 * * *", "0 0 1 1 *", "0 1,2 * * *", "0 9-17 * * mon-fri",
    ])
    func passes(text: String) throws {
        let expression = try CronExpression.validateSchedule(text, timeZone: Self.paris, now: Self.now).get()
        #expect(expression == (try CronExpression(text)))
    }

    @Test("refused schedules name the first pair of runs too close together", arguments: [
        ("*/30 * * * *", 3600.0,
         "runs 30 minutes apart (at 2026-11-24 02:00 and 02:30 Europe/Paris); runs must be at least 1 hour apart"),
        ("*/15 * * * *", 3600,
         "runs 15 minutes apart (at 2026-11-24 02:00 and 02:15 Europe/Paris); runs must be at least 1 hour apart"),
        ("0,45 * * * *", 3600,  // 01:45 is now, not a coming run
         "runs 45 minutes apart (at 2026-11-24 02:00 and 02:45 Europe/Paris); runs must be at least 1 hour apart"),
        ("0 0,23 * * *", 7200,
         "runs 1 hour apart (at 2026-11-24 23:00 and 2026-11-25 00:00 Europe/Paris); runs must be at least 2 hours apart"),
    ] as [(String, TimeInterval, String)])
    func tooClose(text: String, minimumGap: TimeInterval, message: String) {
        let result = CronExpression.validateSchedule(text, timeZone: Self.paris, now: Self.now, minimumGap: minimumGap)
        #expect(throws: CronError.self) { try result.get() }
        if case .failure(let error) = result {
            #expect(error.description == message)
        }
    }

    @Test("the gap is elapsed time: a daylight-saving change within the horizon counts")
    func daylightSaving() {
        // 28 March 2027 in Paris: 01:00 CET and 03:00 CEST are one hour apart.
        let refused = CronExpression.validateSchedule(
            "0 1,3 * * *", timeZone: Self.paris, now: instant("2027-03-20T00:00:00Z"), minimumGap: 5400)
        #expect(throws: CronError.runsTooClose(
            first: instant("2027-03-28T00:00:00Z"), second: instant("2027-03-28T01:00:00Z"),
            timeZone: Self.paris, minimumGap: 5400)) { try refused.get() }
        if case .failure(let error) = refused {
            #expect(error.description == "runs 1 hour apart (at 2027-03-28 01:00 and 03:00 Europe/Paris); "
                + "runs must be at least 1 hour 30 minutes apart")
        }
        // Past the change, or with a horizon that stops before it, the same schedule passes.
        #expect(throws: Never.self) {
            try CronExpression.validateSchedule(
                "0 1,3 * * *", timeZone: Self.paris, now: instant("2027-04-01T00:00:00Z"), minimumGap: 5400).get()
        }
        #expect(throws: Never.self) {
            try CronExpression.validateSchedule(
                "0 1,3 * * *", timeZone: Self.paris, now: instant("2027-03-10T00:00:00Z"),
                horizon: 7 * 86_400, minimumGap: 5400).get()
        }
    }

    @Test("unparsable or never-running schedules are refused", arguments: [
        ("*/30 * * *", CronError.wrongFieldCount(4)),
        ("0 24 * * *", .outOfRange(.hour, "24")),
        ("0 2 * * everyday", .notANumberOrName(.dayOfWeek, "everyday")),
        ("0 0 30 feb *", .neverRuns("0 0 30 feb *")),
    ])
    func refused(text: String, expected: CronError) {
        let result = CronExpression.validateSchedule(text, timeZone: Self.paris, now: Self.now)
        #expect(throws: expected) { try result.get() }
    }

    @Test("never-running message")
    func neverRunsMessage() {
        #expect(CronError.neverRuns("0 0 30 feb *").description
            == "'0 0 30 feb *' never runs (no matching minute within 8 years)")
    }
}
