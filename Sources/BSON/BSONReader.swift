/// A bounds-checked cursor that parses the BSON binary format from untrusted bytes.
/// Every read is checked against an explicit limit before touching memory, so bad input throws instead of trapping.
struct BSONReader {
    private let bytes: [UInt8]
    private var position: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
    }

    /// Parses the whole input as exactly one top-level document.
    mutating func readTopLevelDocument() throws -> BSONDocument {
        guard bytes.count >= 5 else {
            throw BSONError.malformed("input of \(bytes.count) bytes is shorter than the minimum document (5 bytes)")
        }
        let declared = Int(readInt32Unchecked(at: 0))
        guard declared == bytes.count else {
            throw BSONError.malformed("length prefix \(declared) does not match input size \(bytes.count)")
        }
        return try readDocument(limit: bytes.count, depth: 1, key: nil)
    }

    // MARK: - Documents and elements

    /// Reads a document starting at `position` that must end at or before `limit`.
    private mutating func readDocument(limit: Int, depth: Int, key: String?) throws -> BSONDocument {
        let terminator = try openContainer(limit: limit, depth: depth, key: key)
        var document = BSONDocument()
        while position < terminator {
            let (elementKey, value) = try readElement(terminator: terminator, depth: depth)
            guard document.appendIfAbsent(elementKey, value) else {
                throw BSONError.malformed("duplicate key '\(elementKey)'\(location(key))")
            }
        }
        // Every read is bounded by `terminator`, so `position` cannot have passed it.
        position = terminator + 1
        return document
    }

    /// Reads an array; the element keys ("0", "1", ...) are validated as C strings but otherwise ignored.
    private mutating func readArray(limit: Int, depth: Int, key: String) throws -> [BSONValue] {
        let terminator = try openContainer(limit: limit, depth: depth, key: key)
        var values: [BSONValue] = []
        while position < terminator {
            values.append(try readElement(terminator: terminator, depth: depth).1)
        }
        position = terminator + 1
        return values
    }

    /// Reads and checks a document or array header (`int32 length` against `limit`, the final 0x00
    /// terminator, the nesting depth); returns the terminator's offset.
    private mutating func openContainer(limit: Int, depth: Int, key: String?) throws -> Int {
        guard depth <= BSONDocument.maximumNestingDepth else {
            throw BSONError.malformed(
                "nesting deeper than \(BSONDocument.maximumNestingDepth) levels\(location(key))")
        }
        let start = position
        let length = Int(try readInt32(limit: limit, what: "document length"))
        guard length >= 5 else {
            throw BSONError.malformed("document length \(length) is below the minimum of 5\(location(key))")
        }
        guard length <= limit - start else {
            throw BSONError.malformed(
                "document length \(length) exceeds the \(limit - start) bytes available\(location(key))")
        }
        let terminator = start + length - 1
        guard bytes[terminator] == 0 else {
            throw BSONError.malformed("document is missing its 0x00 terminator\(location(key))")
        }
        return terminator
    }

    /// Reads `type, key, value`; the caller has checked that `position < terminator`.
    private mutating func readElement(terminator: Int, depth: Int) throws -> (String, BSONValue) {
        let type = bytes[position]
        position += 1
        let key = try readCString(limit: terminator)
        return (key, try readValue(type: type, key: key, limit: terminator, depth: depth))
    }

    private mutating func readValue(type: UInt8, key: String, limit: Int, depth: Int) throws -> BSONValue {
        switch type {
        case 0x01:
            return .double(Double(bitPattern: try readUInt64(limit: limit, key: key)))
        case 0x02:
            return .string(try readString(limit: limit, key: key))
        case 0x03:
            return .document(try readDocument(limit: limit, depth: depth + 1, key: key))
        case 0x04:
            return .array(try readArray(limit: limit, depth: depth + 1, key: key))
        case 0x05:
            return try readBinary(limit: limit, key: key)
        case 0x07:
            let raw = try readBytes(12, limit: limit, what: "objectID", key: key)
            return .objectID(BSONObjectID(validatedBytes: raw))
        case 0x08:
            let byte = try readByte(limit: limit, what: "bool", key: key)
            guard byte <= 1 else {
                throw BSONError.malformed("bool for key '\(key)' has invalid byte \(hexByte(byte))")
            }
            return .bool(byte == 1)
        case 0x09:
            return .datetime(Int64(bitPattern: try readUInt64(limit: limit, key: key)))
        case 0x0A:
            return .null
        case 0x10:
            return .int32(try readInt32(limit: limit, what: "int32 for key '\(key)'"))
        case 0x12:
            return .int64(Int64(bitPattern: try readUInt64(limit: limit, key: key)))
        case 0x11:
            return .timestamp(try readUInt64(limit: limit, key: key))
        case 0x13:
            return .decimal128(Array(try readBytes(16, limit: limit, what: "decimal128", key: key)))
        case 0xFF:
            return .minKey
        case 0x7F:
            return .maxKey
        case 0x06, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F:
            throw BSONError.unsupportedType(type, key: key)
        default:
            throw BSONError.malformed("unknown element type \(hexByte(type)) for key '\(key)'")
        }
    }

    // MARK: - Scalars

    private mutating func readBinary(limit: Int, key: String) throws -> BSONValue {
        let length = Int(try readInt32(limit: limit, what: "binary length for key '\(key)'"))
        guard length >= 0 else {
            throw BSONError.malformed("binary for key '\(key)' has negative length \(length)")
        }
        let subtype = try readByte(limit: limit, what: "binary subtype", key: key)
        let data = try readBytes(length, limit: limit, what: "binary data", key: key)
        return .binary(subtype: subtype, data: Array(data))
    }

    /// Reads `int32 length, bytes, 0x00` where length counts the terminator; content must be UTF-8.
    private mutating func readString(limit: Int, key: String) throws -> String {
        let length = Int(try readInt32(limit: limit, what: "string length for key '\(key)'"))
        guard length >= 1 else {
            throw BSONError.malformed("string for key '\(key)' has invalid length \(length)")
        }
        let raw = try readBytes(length, limit: limit, what: "string", key: key)
        guard raw[raw.endIndex - 1] == 0 else {
            throw BSONError.malformed("string for key '\(key)' is missing its 0x00 terminator")
        }
        guard let string = decodeUTF8(raw.dropLast()) else {
            throw BSONError.malformed("string for key '\(key)' is not valid UTF-8")
        }
        return string
    }

    /// Reads a NUL-terminated UTF-8 key that must end before `limit`.
    private mutating func readCString(limit: Int) throws -> String {
        guard let end = bytes[position..<limit].firstIndex(of: 0) else {
            throw BSONError.malformed("key at offset \(position) is missing its 0x00 terminator")
        }
        guard let key = decodeUTF8(bytes[position..<end]) else {
            throw BSONError.malformed("key at offset \(position) is not valid UTF-8")
        }
        position = end + 1
        return key
    }

    private mutating func readBytes(_ count: Int, limit: Int, what: String, key: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= limit - position else {
            throw BSONError.malformed("\(what) for key '\(key)' runs past the end of its document")
        }
        let slice = bytes[position..<position + count]
        position += count
        return slice
    }

    private mutating func readByte(limit: Int, what: String, key: String) throws -> UInt8 {
        guard position < limit else {
            throw BSONError.malformed("\(what) for key '\(key)' runs past the end of its document")
        }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func readInt32(limit: Int, what: String) throws -> Int32 {
        guard limit - position >= 4 else {
            throw BSONError.malformed("\(what) runs past the end of the input")
        }
        let value = readInt32Unchecked(at: position)
        position += 4
        return value
    }

    private mutating func readUInt64(limit: Int, key: String) throws -> UInt64 {
        guard limit - position >= 8 else {
            throw BSONError.malformed("8-byte value for key '\(key)' runs past the end of its document")
        }
        var value: UInt64 = 0
        for offset in (0..<8).reversed() {
            value = value << 8 | UInt64(bytes[position + offset])
        }
        position += 8
        return value
    }

    /// Little-endian int32 at `offset`; the caller has checked that four bytes are available.
    private func readInt32Unchecked(at offset: Int) -> Int32 {
        let value = UInt32(bytes[offset])
            | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
        return Int32(bitPattern: value)
    }

    private func location(_ key: String?) -> String {
        key.map { " (in '\($0)')" } ?? ""
    }
}

/// Strict UTF-8 decoding: `nil` if any sequence is invalid (instead of repairing it with U+FFFD).
func decodeUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
    let string = String(decoding: bytes, as: UTF8.self)
    // Repair replaces invalid sequences, which changes the bytes; valid input round-trips exactly.
    return string.utf8.elementsEqual(bytes) ? string : nil
}
