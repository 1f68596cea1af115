import Resilience

extension Instant {
    /// `seconds` after the origin, rounded to whole milliseconds so table values are exact
    /// (`Instant(seconds: 1.9)` would carry binary floating-point error).
    static func at(_ seconds: Double) -> Instant {
        Instant(sinceOrigin: .milliseconds(Int64((seconds * 1000).rounded())))
    }
}
