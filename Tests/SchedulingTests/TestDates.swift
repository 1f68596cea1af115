import Foundation

/// A fixed instant from an ISO 8601 string with offset, e.g. "2027-03-28T01:00:00Z" or "...T02:30:00+02:00".
func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { fatalError("bad test date \(text)") }
    return date
}

func zone(_ identifier: String) -> TimeZone {
    guard let timeZone = TimeZone(identifier: identifier) else { fatalError("unknown time zone \(identifier)") }
    return timeZone
}
