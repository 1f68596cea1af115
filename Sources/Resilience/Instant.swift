/// A point on a monotonic timeline, stored as the `Duration` since an arbitrary origin.
///
/// The resilience state machines take the time as an argument instead of reading a clock, so tests drive
/// them with plain values (`Instant(seconds: 3)`) and never sleep. The actor that owns a machine picks
/// one origin (a `ContinuousClock.Instant` taken at start-up) and converts with
/// `Instant(_:since:)`. Instants from different origins must not be compared.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Time elapsed since the origin; may be negative.
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    /// The origin itself.
    public static let origin = Instant(sinceOrigin: .zero)

    /// `Instant(seconds: 1.5)` is 1.5 s after the origin; convenient in tests and tables.
    public init(seconds: Double) {
        self.sinceOrigin = .seconds(seconds)
    }

    /// Converts a reading of the continuous clock, relative to `origin` (taken once by the owner).
    public init(_ instant: ContinuousClock.Instant, since origin: ContinuousClock.Instant) {
        self.sinceOrigin = origin.duration(to: instant)
    }

    public func advanced(by duration: Duration) -> Instant {
        Instant(sinceOrigin: sinceOrigin + duration)
    }

    public func duration(to other: Instant) -> Duration {
        other.sinceOrigin - sinceOrigin
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }

    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        lhs.advanced(by: rhs)
    }

    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        lhs.advanced(by: .zero - rhs)
    }

    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        rhs.duration(to: lhs)
    }

    public var description: String {
        "origin+\(sinceOrigin)"
    }
}
