import Foundation

/// A provider's requests-per-calendar-day allowance (UPCitemdb's 100/day), counted in a given time zone.
/// `Codable` so the service persists it and a restart keeps the day's count.
public struct DailyQuota: Sendable, Codable, Equatable {
    /// Requests allowed per day.
    public var limit: Int
    /// The zone whose midnight starts a new day; UTC by default.
    public let timeZone: TimeZone
    /// The day `used` refers to, as `yyyy-MM-dd` in `timeZone`; nil before the first request.
    public private(set) var day: String?
    /// Requests consumed on `day`.
    public private(set) var used: Int

    public init(limit: Int, timeZone: TimeZone = DailyQuota.utc, day: String? = nil, used: Int = 0) {
        self.limit = limit
        self.timeZone = timeZone
        self.day = day
        self.used = used
    }

    public static let utc = TimeZone(secondsFromGMT: 0)!

    /// Requests left on the stored `day` (what the status page shows).
    public var remaining: Int { max(0, limit - used) }

    /// Requests left on the day containing `date` (the full limit once a new day has begun).
    public func remaining(at date: Date) -> Int {
        var copy = self
        copy.rollOver(to: date)
        return copy.remaining
    }

    /// Counts one request at `date` if the day's allowance has room; starts a new count at midnight.
    public mutating func consume(at date: Date) -> Bool {
        rollOver(to: date)
        guard used < limit else { return false }
        used += 1
        return true
    }

    /// The next midnight in `timeZone` after `date`: when an exhausted quota frees up again.
    public func nextReset(after date: Date) -> Date {
        let calendar = Self.calendar(in: timeZone)
        let startOfDay = calendar.startOfDay(for: date)
        return calendar.date(byAdding: .day, value: 1, to: startOfDay)!
    }

    /// `yyyy-MM-dd` of `date` in `timeZone`.
    public static func dayKey(for date: Date, in timeZone: TimeZone) -> String {
        let parts = calendar(in: timeZone).dateComponents([.year, .month, .day], from: date)
        return "\(pad(parts.year!, 4))-\(pad(parts.month!, 2))-\(pad(parts.day!, 2))"
    }

    /// Only moves forward: if the wall clock steps back to an earlier day, the later day's count is kept
    /// rather than handing out a second allowance. (Keys compare correctly as strings: fixed width.)
    private mutating func rollOver(to date: Date) {
        let key = Self.dayKey(for: date, in: timeZone)
        if let day, key <= day { return }
        day = key
        used = 0
    }

    private static func calendar(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
