import Foundation

/// A number in a provider's JSON, read without trusting it. An integer, a float with an integral value
/// or a string of digits, within what a double holds exactly, is its value; anything else (a fraction,
/// `1e308`, a 40-digit integer, `"NaN"`, another type) is no value. Decoding never fails, so one odd
/// field cannot make a usable answer malformed, and no conversion can trap.
struct ProviderNumber: Decodable, Sendable, Equatable, CustomStringConvertible {
    let value: Int?

    init(_ value: Int?) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        guard let container = try? decoder.singleValueContainer() else {
            value = nil
            return
        }
        if let integer = try? container.decode(Int.self) {
            value = integer
        } else if let double = try? container.decode(Double.self) {
            value = Self.exact(double)
        } else if let text = try? container.decode(String.self) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            value = trimmed.utf8.count <= 20 ? Int(trimmed) ?? Double(trimmed).flatMap(Self.exact) : nil
        } else {
            value = nil
        }
    }

    /// The value when it lies in `range`; nil otherwise.
    func within(_ range: ClosedRange<Int>) -> Int? {
        value.flatMap { range.contains($0) ? $0 : nil }
    }

    /// The value moved into `range`; nil when there is none.
    func clamped(to range: ClosedRange<Int>) -> Int? {
        value.map { min(max($0, range.lowerBound), range.upperBound) }
    }

    var description: String { value.map(String.init) ?? "unreadable" }

    /// Beyond 2^53 a double no longer holds every integer, so its value is not the provider's.
    private static let exactLimit = 9_007_199_254_740_992.0

    private static func exact(_ double: Double) -> Int? {
        guard double.isFinite, double.rounded(.towardZero) == double, abs(double) <= exactLimit else { return nil }
        return Int(double)
    }
}
