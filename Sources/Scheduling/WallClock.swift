import Foundation

/// Local wall time in one time zone: proleptic Gregorian date arithmetic plus the zone's UTC offsets.
///
/// Wall time is counted in seconds since 1970-01-01 00:00 *local*, so days, hours and minutes are plain
/// integer division and the calendar walk never allocates. The zone is consulted only to turn a wall time
/// into an instant and back; this is the Gregorian calendar in that zone, without `Calendar`'s per-call cost
/// or its platform-dependent handling of skipped and repeated local times.
struct WallClock: Sendable {
    let timeZone: TimeZone

    struct CivilDate: Equatable, Sendable {
        var year: Int
        var month: Int
        var day: Int
    }

    struct CivilMinute: Equatable, Sendable {
        var date: CivilDate
        var hour: Int
        var minute: Int

        var dateText: String { "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))" }
        var timeText: String { "\(pad(hour, 2)):\(pad(minute, 2))" }

        private func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }

    // MARK: Calendar arithmetic (days since 1970-01-01, after Howard Hinnant's `days_from_civil`)

    static func day(of date: CivilDate) -> Int {
        let year = date.month <= 2 ? date.year - 1 : date.year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * ((date.month + 9) % 12) + 2) / 5 + date.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(ofDay day: Int) -> CivilDate {
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return CivilDate(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: dayOfMonth)
    }

    /// 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday.
    static func weekday(ofDay day: Int) -> Int {
        ((day % 7) + 7 + 4) % 7
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    // MARK: Wall time <-> instants

    /// The local wall time of an instant, in whole seconds (fractions are floored).
    func wallSeconds(of date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: date)
    }

    /// The earliest instant (seconds since 1970 UTC) shown as `wall` on this zone's clocks, or nil if the
    /// clocks skip it (spring forward). A repeated wall time (fall back) yields its first occurrence.
    ///
    /// The offsets in force a day either side are the only candidates: real zones never change offset
    /// twice within a couple of days, so an instant `wall - offset` is genuine exactly when the zone
    /// agrees it has that offset.
    func firstInstant(ofWall wall: Int) -> Int? {
        let offsets = [wall - 86_400, wall, wall + 86_400].map(offset(at:))
        var earliest: Int?
        for offset in Set(offsets) {
            let instant = wall - offset
            if self.offset(at: instant) == offset, instant < earliest ?? .max {
                earliest = instant
            }
        }
        return earliest
    }

    func civilMinute(of date: Date) -> CivilMinute {
        let minutes = Self.floorDivide(wallSeconds(of: date), 60)
        let day = Self.floorDivide(minutes, 1440)
        let minuteOfDay = minutes - day * 1440
        return CivilMinute(date: Self.civilDate(ofDay: day), hour: minuteOfDay / 60, minute: minuteOfDay % 60)
    }

    private func offset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }
}
