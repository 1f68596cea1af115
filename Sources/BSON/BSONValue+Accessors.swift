import Foundation

/// Typed read access to a `BSONValue` without a `switch` at every call site.
/// Each accessor returns `nil` when the value is of another type (or does not convert exactly).
extension BSONValue {
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Accepts `int32`, `int64`, and a `double` holding a whole number within `Int64`'s range.
    public var int64Value: Int64? {
        switch self {
        case .int32(let value): return Int64(value)
        case .int64(let value): return value
        case .double(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// Accepts `int32`, `int64` (when within `Int32`'s range), and a whole `double` within range.
    public var int32Value: Int32? {
        switch self {
        case .int32(let value): return value
        case .int64(let value): return Int32(exactly: value)
        case .double(let value): return Int32(exactly: value)
        default: return nil
        }
    }

    /// Accepts `double`, `int32`, and an `int64` that a `Double` represents exactly.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .int32(let value): return Double(value)
        case .int64(let value): return Double(exactly: value)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var documentValue: BSONDocument? {
        if case .document(let value) = self { return value }
        return nil
    }

    public var arrayValue: [BSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectIDValue: BSONObjectID? {
        if case .objectID(let value) = self { return value }
        return nil
    }

    /// The bytes of a `binary` value of any subtype.
    public var binaryValue: [UInt8]? {
        if case .binary(_, let data) = self { return data }
        return nil
    }

    /// A `datetime` as a `Date` (millisecond precision).
    public var dateValue: Date? {
        if case .datetime(let milliseconds) = self { return Date(bsonMilliseconds: milliseconds) }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A `datetime` for `date`, rounded to the nearest millisecond. Dates beyond the `Int64`
    /// millisecond range are clamped to it, and a NaN date becomes the epoch.
    public static func date(_ date: Date) -> BSONValue {
        if let milliseconds = date.bsonMilliseconds {
            return .datetime(milliseconds)
        }
        let seconds = date.timeIntervalSince1970
        if seconds.isNaN { return .datetime(0) }
        return .datetime(seconds > 0 ? .max : .min)
    }
}

extension Date {
    /// Milliseconds since the epoch, rounded to nearest so a decoded date re-encodes identically;
    /// `nil` when not finite or outside `Int64`.
    var bsonMilliseconds: Int64? {
        Int64(exactly: (timeIntervalSince1970 * 1000).rounded())
    }

    init(bsonMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
