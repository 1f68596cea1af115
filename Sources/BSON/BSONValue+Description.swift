/// Readable, shell-like text for logs and test failures, e.g. `{"n": NumberLong(5), "at": Date(0)}`.
/// int32 prints bare and int64 as `NumberLong(...)` so the two stay distinguishable.

extension BSONValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .double(let double):
            return double.description
        case .string(let string):
            return quoted(string)
        case .document(let document):
            return document.description
        case .array(let values):
            return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .binary(let subtype, let data):
            return "Binary(\(hexByte(subtype)), \(data.count) bytes)"
        case .objectID(let id):
            return "ObjectId(\"\(id.hex)\")"
        case .bool(let bool):
            return bool.description
        case .datetime(let milliseconds):
            return "Date(\(milliseconds))"
        case .null:
            return "null"
        case .int32(let int):
            return int.description
        case .int64(let int):
            return "NumberLong(\(int))"
        case .timestamp(let value):
            return "Timestamp(\(value >> 32), \(value & 0xFFFF_FFFF))"
        case .decimal128(let raw):
            return "NumberDecimal(\(raw.count) bytes)"
        case .minKey:
            return "MinKey"
        case .maxKey:
            return "MaxKey"
        }
    }
}

extension BSONDocument: CustomStringConvertible {
    public var description: String {
        "{" + map { "\(quoted($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
    }
}

/// A JSON-style quoted string.
private func quoted(_ string: String) -> String {
    var result = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20:
            result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default:
            result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
