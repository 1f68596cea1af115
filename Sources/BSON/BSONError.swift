import Foundation

/// Every failure this module reports, in one `Equatable` type so callers and tests can match on it.
/// Codable failures carry the coding path as a dotted string such as `imageLookup.lookupAttemptedAt`.
public enum BSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not valid BSON: bad lengths, missing terminators, invalid UTF-8, too deep, ...
    case malformed(String)
    /// A well-formed element whose BSON type this module deliberately does not support.
    case unsupportedType(UInt8, key: String)
    /// Decoding found a value of the wrong BSON type (or a non-integral double for an integer).
    case typeMismatch(expected: String, found: String, path: String)
    /// Decoding needed a key (or array element) that is not there; `path` includes the missing key.
    case keyNotFound(String, path: String)
    /// A number does not fit the Swift type being decoded, or the BSON type being encoded.
    case valueOutOfRange(value: String, type: String, path: String)
    /// Any other value Codable could not handle (invalid key, invalid raw value, non-document top level, ...).
    case invalidValue(String, path: String)

    public var description: String {
        switch self {
        case .malformed(let reason):
            return "malformed BSON: \(reason)"
        case .unsupportedType(let type, let key):
            return "unsupported BSON type \(hexByte(type)) (\(bsonTypeName(type))) for key '\(key)'"
        case .typeMismatch(let expected, let found, let path):
            return "type mismatch at \(display(path)): expected \(expected), found \(found)"
        case .keyNotFound(let key, let path):
            return "key '\(key)' not found at \(display(path))"
        case .valueOutOfRange(let value, let type, let path):
            return "value \(value) out of range for \(type) at \(display(path))"
        case .invalidValue(let reason, let path):
            return "invalid value at \(display(path)): \(reason)"
        }
    }

    private func display(_ path: String) -> String {
        path.isEmpty ? "top level" : path
    }
}

extension BSONError: LocalizedError {
    public var errorDescription: String? { description }
}

extension BSONError {
    /// Translates errors thrown by `init(from:)` implementations we do not own (for example
    /// `RawRepresentable` enums) so that every decoding failure is a `BSONError` naming its path.
    init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self = .typeMismatch(
                expected: "\(type)", found: context.debugDescription, path: renderCodingPath(context.codingPath))
        case .valueNotFound(let type, let context):
            self = .typeMismatch(expected: "\(type)", found: "null", path: renderCodingPath(context.codingPath))
        case .keyNotFound(let key, let context):
            self = .keyNotFound(key.stringValue, path: renderCodingPath(context.codingPath + [key]))
        case .dataCorrupted(let context):
            self = .invalidValue(context.debugDescription, path: renderCodingPath(context.codingPath))
        @unknown default:
            self = .invalidValue(String(describing: error), path: "")
        }
    }

    /// Translates errors thrown by `encode(to:)` implementations we do not own.
    init(_ error: EncodingError) {
        switch error {
        case .invalidValue(_, let context):
            self = .invalidValue(context.debugDescription, path: renderCodingPath(context.codingPath))
        @unknown default:
            self = .invalidValue(String(describing: error), path: "")
        }
    }
}

func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
}

/// Human-readable names for every BSON type byte, supported or not, for error messages.
func bsonTypeName(_ type: UInt8) -> String {
    switch type {
    case 0x01: return "double"
    case 0x02: return "string"
    case 0x03: return "document"
    case 0x04: return "array"
    case 0x05: return "binary"
    case 0x06: return "undefined"
    case 0x07: return "objectID"
    case 0x08: return "bool"
    case 0x09: return "datetime"
    case 0x0A: return "null"
    case 0x0B: return "regex"
    case 0x0C: return "dbpointer"
    case 0x0D: return "javascript"
    case 0x0E: return "symbol"
    case 0x0F: return "javascript with scope"
    case 0x10: return "int32"
    case 0x11: return "timestamp"
    case 0x12: return "int64"
    case 0x13: return "decimal128"
    case 0x7F: return "maxkey"
    case 0xFF: return "minkey"
    default: return "unknown"
    }
}
