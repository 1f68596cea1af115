import Foundation

/// Why a cron expression was refused, with a message that names the field and the problem.
public enum CronError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The expression does not have exactly five whitespace-separated fields.
    case wrongFieldCount(Int)
    /// A list such as `1,,5` has an empty item.
    case emptyListItem(CronField)
    /// A value is neither digits nor a name the field accepts (`funday`, `jan` in the hour field).
    case notANumberOrName(CronField, String)
    /// A value lies outside the field's bounds (`25` for an hour).
    case outOfRange(CronField, String)
    /// A range is not of the form `low-high` (`1-2-3`, `-5`).
    case malformedRange(CronField, String)
    /// A range starts after it ends (`5-2`, `fri-mon`).
    case reversedRange(CronField, String)
    /// The step after `/` is not a number (`*/x`, `1/2/3`).
    case malformedStep(CronField, String)
    /// The step is zero (`*/0`).
    case zeroStep(CronField)
    /// The expression parses but matches no minute in the search window (`0 0 30 feb *`).
    case neverRuns(String)
    /// Two consecutive runs, seen in `timeZone`, are closer than the service allows.
    case runsTooClose(first: Date, second: Date, timeZone: TimeZone, minimumGap: TimeInterval)

    public var description: String {
        switch self {
        case .wrongFieldCount(let count):
            "expected 5 fields, got \(count)"
        case .emptyListItem(let field):
            "\(field.rawValue): empty item in list"
        case .notANumberOrName(let field, let text):
            "\(field.rawValue): '\(text)' is not a number or name"
        case .outOfRange(let field, let text):
            "\(field.rawValue): \(text) is outside \(field.bounds.lowerBound)-\(field.bounds.upperBound)"
        case .malformedRange(let field, let text):
            "\(field.rawValue): '\(text)' is not a range (expected low-high)"
        case .reversedRange(let field, let text):
            "\(field.rawValue): range \(text) starts after it ends"
        case .malformedStep(let field, let text):
            "\(field.rawValue): step '\(text)' is not a number"
        case .zeroStep(let field):
            "\(field.rawValue): step 0"
        case .neverRuns(let text):
            "'\(text)' never runs (no matching minute within \(CronExpression.searchYears) years)"
        case .runsTooClose(let first, let second, let timeZone, let minimumGap):
            Self.tooCloseMessage(first: first, second: second, timeZone: timeZone, minimumGap: minimumGap)
        }
    }

    private static func tooCloseMessage(first: Date, second: Date, timeZone: TimeZone, minimumGap: TimeInterval) -> String {
        let clock = WallClock(timeZone: timeZone)
        let from = clock.civilMinute(of: first)
        let to = clock.civilMinute(of: second)
        let secondText = from.date == to.date ? to.timeText : "\(to.dateText) \(to.timeText)"
        return "runs \(durationText(second.timeIntervalSince(first))) apart "
            + "(at \(from.dateText) \(from.timeText) and \(secondText) \(timeZone.identifier)); "
            + "runs must be at least \(durationText(minimumGap)) apart"
    }

    /// "30 minutes", "1 hour", "1 hour 30 minutes", "45 seconds".
    static func durationText(_ interval: TimeInterval) -> String {
        let total = Int(interval.rounded())
        let parts: [(Int, String)] = [(total / 86400, "day"), (total % 86400 / 3600, "hour"),
                                      (total % 3600 / 60, "minute"), (total % 60, "second")]
        let words = parts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
        return words.isEmpty ? "0 seconds" : words.joined(separator: " ")
    }
}
