/// A parsed 5-field cron expression (`minute hour day-of-month month day-of-week`), the calendar a
/// scheduled job runs on. It is a plain value: every question about time takes the date and time zone
/// to answer it in, so it is tested on fixed dates and never reads the clock.
///
/// Day rule (Vixie cron): when both day-of-month and day-of-week are restricted, a day matches if
/// *either* matches; when one of them starts with `*` it is unrestricted and only the other decides.
/// `0 0 1,15 * mon` runs on the 1st, the 15th and every Monday; `0 0 * * mon` only on Mondays.
public struct CronExpression: Hashable, Sendable, CustomStringConvertible {
    /// How far ahead `nextRun` looks before concluding an expression never runs. Eight years always
    /// reach a 29 February, even across 2100, which is not a leap year.
    public static let searchYears = 8

    let minutes: CronFieldSet
    let hours: CronFieldSet
    let daysOfMonth: CronFieldSet
    let months: CronFieldSet
    let daysOfWeek: CronFieldSet

    /// The expression's fields, separated by single spaces.
    public let description: String

    /// Parses `text`; fields are separated by any whitespace, names are case-insensitive.
    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 5 else { throw .wrongFieldCount(fields.count) }
        minutes = try CronFieldSet(parsing: fields[0], as: .minute)
        hours = try CronFieldSet(parsing: fields[1], as: .hour)
        daysOfMonth = try CronFieldSet(parsing: fields[2], as: .dayOfMonth)
        months = try CronFieldSet(parsing: fields[3], as: .month)
        daysOfWeek = try CronFieldSet(parsing: fields[4], as: .dayOfWeek)
        description = fields.joined(separator: " ")
    }

    /// Whether the expression runs on this calendar day (month, day-of-month and day-of-week rules).
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dayOfMonth = daysOfMonth.contains(day)
        let dayOfWeek = daysOfWeek.contains(weekday)
        if daysOfMonth.isWildcard || daysOfWeek.isWildcard {
            return dayOfMonth && dayOfWeek
        }
        return dayOfMonth || dayOfWeek
    }
}
