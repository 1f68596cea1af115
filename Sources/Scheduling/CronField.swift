/// One of the five positions of a cron expression, with the values and names it accepts.
public enum CronField: String, CaseIterable, Sendable {
    case minute
    case hour
    case dayOfMonth = "day-of-month"
    case month
    case dayOfWeek = "day-of-week"

    /// The values written in an expression. Day-of-week accepts 7 as a second spelling of Sunday (0).
    public var bounds: ClosedRange<Int> {
        switch self {
        case .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// The value a three-letter name stands for (`jan`=1, `sun`=0), case-insensitive; nil elsewhere.
    func value(named name: String) -> Int? {
        let names: [String]
        switch self {
        case .month: names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        case .dayOfWeek: names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        default: return nil
        }
        guard let index = names.firstIndex(of: name.lowercased()) else { return nil }
        return self == .month ? index + 1 : index
    }
}
