import Foundation

/// Reads a `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, the delay
/// measured from `now`, never negative and never longer than `maximum`. The header is the provider's
/// word, not ours: a value that cannot be read is absent, one out of range is clamped.
enum RetryAfter {
    /// The longest wait any provider is taken at its word for (a day: UPCitemdb's and Google's quotas
    /// renew daily); longer asks are clamped to it.
    static let maximum: Duration = .seconds(86_400)

    static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Delta-seconds: any number of digits; more than a day's worth is a day.
            let digits = text.drop { $0 == "0" }
            guard digits.count <= 6, let seconds = Int64(digits.isEmpty ? "0" : String(digits)) else { return maximum }
            return clamp(.seconds(seconds))
        }
        guard let date = httpDate(text) else { return nil }
        return wait(seconds: date.timeIntervalSince(now))
    }

    /// A wait of `seconds` from now, as a provider stated it: nil when it is not a finite number
    /// (`inf`, `nan`), otherwise rounded up and clamped to `0...maximum`.
    static func wait(seconds: Double) -> Duration? {
        guard seconds.isFinite else { return nil }
        if seconds <= 0 { return .zero }
        if seconds >= maximum.seconds { return maximum }
        return .seconds(Int64(seconds.rounded(.up)))
    }

    /// `duration` within `0...maximum`.
    static func clamp(_ duration: Duration) -> Duration {
        min(max(duration, .zero), maximum)
    }

    /// IMF-fixdate, the form servers must send: `Sun, 06 Nov 1994 08:49:37 GMT`.
    /// (The obsolete RFC 850 and asctime forms are not accepted; no provider sends them.)
    static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              parts[1].count == 2, let day = Int(parts[1]),
              let month = months.firstIndex(of: String(parts[2])),
              parts[3].count == 4, let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }),
              let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let components = DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
        return calendar.date(from: components)
    }

    /// Formats a date as IMF-fixdate (the inverse of `httpDate`, for fakes and tests).
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][(c.weekday ?? 1) - 1]
        return "\(weekday), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
