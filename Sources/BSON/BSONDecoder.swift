import Foundation

/// Turns BSON documents back into `Decodable` models, strictly by BSON type and with range-checked
/// numbers; every failure is a `BSONError` naming the coding path (e.g. `imageLookup.lookupAttemptedAt`).
public struct BSONDecoder: Sendable {
    /// Passed to `init(from:)` implementations as `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from document: BSONDocument) throws -> T {
        try decode(type, from: .document(document))
    }

    /// Decodes from any value. Disfavored so a dictionary literal argument picks the document overload.
    @_disfavoredOverload
    public func decode<T: Decodable>(_ type: T.Type, from value: BSONValue) throws -> T {
        let decoder = _BSONDecoder(value: value, codingPath: [], userInfo: userInfo)
        do {
            return try decoder.unbox(value, as: type, path: [])
        } catch let error as DecodingError {
            throw BSONError(error)
        }
    }
}

/// The `Decoder` handed to `init(from:)`, positioned on one value.
final class _BSONDecoder: Decoder {
    let value: BSONValue
    let codingPath: [any CodingKey]
    let sendableUserInfo: [CodingUserInfoKey: any Sendable]

    var userInfo: [CodingUserInfoKey: Any] {
        sendableUserInfo
    }

    init(value: BSONValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.value = value
        self.codingPath = codingPath
        self.sendableUserInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .document(let document) = value else {
            throw mismatch(expected: "document", found: value, path: codingPath)
        }
        return KeyedDecodingContainer(BSONKeyedDecodingContainer<Key>(decoder: self, document: document))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let values) = value else {
            throw mismatch(expected: "array", found: value, path: codingPath)
        }
        return BSONUnkeyedDecodingContainer(decoder: self, values: values)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BSONSingleValueDecodingContainer(decoder: self)
    }

    /// A decoder for a value nested below this one.
    func nested(_ value: BSONValue, path: [any CodingKey]) -> _BSONDecoder {
        _BSONDecoder(value: value, codingPath: path, userInfo: sendableUserInfo)
    }

    // MARK: - Unboxing

    /// Decodes `value` as `T`, handling types with a fixed BSON representation directly.
    func unbox<T: Decodable>(_ value: BSONValue, as type: T.Type, path: [any CodingKey]) throws -> T {
        // Metatype checks (not `as?` casts) so `Optional<BSONValue>` still goes through `init(from:)`.
        switch type {
        case is BSONValue.Type:
            return value as! T
        case is BSONDocument.Type:
            guard case .document(let document) = value else {
                throw mismatch(expected: "document", found: value, path: path)
            }
            return document as! T
        case is BSONObjectID.Type:
            guard case .objectID(let id) = value else {
                throw mismatch(expected: "objectID", found: value, path: path)
            }
            return id as! T
        case is Date.Type:
            guard case .datetime(let milliseconds) = value else {
                throw mismatch(expected: "Date (BSON datetime)", found: value, path: path)
            }
            return Date(bsonMilliseconds: milliseconds) as! T
        case is Data.Type:
            guard case .binary(_, let bytes) = value else {
                throw mismatch(expected: "Data (BSON binary)", found: value, path: path)
            }
            return Data(bytes) as! T
        case is URL.Type:
            guard case .string(let string) = value else {
                throw mismatch(expected: "URL (BSON string)", found: value, path: path)
            }
            guard let url = URL(string: string) else {
                throw BSONError.invalidValue("'\(string)' is not a valid URL", path: renderCodingPath(path))
            }
            return url as! T
        default:
            return try T(from: nested(value, path: path))
        }
    }

    func unboxBool(_ value: BSONValue, path: [any CodingKey]) throws -> Bool {
        guard case .bool(let bool) = value else {
            throw mismatch(expected: "Bool", found: value, path: path)
        }
        return bool
    }

    func unboxString(_ value: BSONValue, path: [any CodingKey]) throws -> String {
        guard case .string(let string) = value else {
            throw mismatch(expected: "String", found: value, path: path)
        }
        return string
    }

    /// Accepts double, int32 and int64 (large int64s round to the nearest double).
    func unboxDouble(_ value: BSONValue, path: [any CodingKey]) throws -> Double {
        switch value {
        case .double(let double): return double
        case .int32(let int): return Double(int)
        case .int64(let int): return Double(int)
        default: throw mismatch(expected: "Double", found: value, path: path)
        }
    }

    /// Like `unboxDouble`, then range-checked: finite doubles beyond `Float`'s range throw.
    func unboxFloat(_ value: BSONValue, path: [any CodingKey]) throws -> Float {
        let double: Double
        do {
            double = try unboxDouble(value, path: path)
        } catch {
            throw mismatch(expected: "Float", found: value, path: path)
        }
        guard !double.isFinite || abs(double) <= Double(Float.greatestFiniteMagnitude) else {
            throw BSONError.valueOutOfRange(value: "\(double)", type: "Float", path: renderCodingPath(path))
        }
        return Float(double)
    }

    /// Accepts int32, int64, or a double holding a whole number; the result must fit `I`.
    func unboxInteger<I: FixedWidthInteger>(_ value: BSONValue, as type: I.Type, path: [any CodingKey]) throws -> I {
        let converted: I?
        switch value {
        case .int32(let int):
            converted = I(exactly: int)
        case .int64(let int):
            converted = I(exactly: int)
        case .double(let double):
            guard double.isFinite, double.rounded(.towardZero) == double else {
                throw BSONError.typeMismatch(
                    expected: "\(I.self)", found: "non-integral double \(double)", path: renderCodingPath(path))
            }
            converted = I(exactly: double)
        default:
            throw mismatch(expected: "\(I.self)", found: value, path: path)
        }
        guard let converted else {
            throw BSONError.valueOutOfRange(
                value: value.numericDescription, type: "\(I.self)", path: renderCodingPath(path))
        }
        return converted
    }

    func mismatch(expected: String, found value: BSONValue, path: [any CodingKey]) -> BSONError {
        .typeMismatch(expected: expected, found: value.typeName, path: renderCodingPath(path))
    }
}

extension BSONValue {
    /// The number as text for out-of-range messages.
    fileprivate var numericDescription: String {
        switch self {
        case .int32(let int): return String(int)
        case .int64(let int): return String(int)
        case .double(let double): return String(double)
        default: return typeName
        }
    }
}
