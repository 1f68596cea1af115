import Foundation
import EnricherCore

/// A parsed JSON value, so request bodies can be checked field by field with precise messages
/// (wrong type, unknown field, null) instead of one opaque decoding error.
enum JSONValue: Sendable, Equatable, Decodable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// What a JSON reader would call this value's type, for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Parses a request body, answering 400 with the parser's reason when it is not JSON.
    static func parse(_ data: Data) throws(Problem) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem(.malformedJSON, detail: "the request body is not valid JSON: \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

extension JSONValue {
    /// An error for each member of `object` not in `allowed`.
    static func unknownFields(_ object: [String: JSONValue], allowed: Set<String>, at pointer: String = "") -> [FieldError] {
        object.keys.sorted().filter { !allowed.contains($0) }.map { key in
            FieldError(pointer: "\(pointer)/\(key)", detail: "unknown field; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// An RFC 3339 date-time, with or without fractional seconds (the API's own dates have milliseconds).
    static func date(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }

    /// An optional boolean member: its value, false when absent or null, or an error.
    static func optionalBool(_ object: [String: JSONValue], _ name: String, errors: inout [FieldError]) -> Bool {
        switch object[name] {
        case nil, .null: return false
        case .bool(let value): return value
        case let other?:
            errors.append(FieldError(pointer: "/\(name)", detail: "must be a boolean, got \(other.typeName)"))
            return false
        }
    }
}
