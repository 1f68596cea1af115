/// Serializes documents into the BSON binary format, appending to one growing buffer.
/// Length prefixes are written as placeholders and patched once each document is complete.
struct BSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func writeDocument(_ document: BSONDocument) {
        let start = beginDocument()
        for (key, value) in document {
            writeElement(key: key, value: value)
        }
        endDocument(start: start)
    }

    private mutating func writeArray(_ values: [BSONValue]) {
        let start = beginDocument()
        for (index, value) in values.enumerated() {
            bytes.append(value.typeByte)
            writeDecimal(index)
            bytes.append(0)
            writeValue(value)
        }
        endDocument(start: start)
    }

    private mutating func beginDocument() -> Int {
        let start = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        return start
    }

    /// Appends the terminator and patches the length prefix. Documents beyond 2 GiB cannot be
    /// represented in BSON at all; building one in memory is a programming error and traps.
    private mutating func endDocument(start: Int) {
        bytes.append(0)
        let length = UInt32(bitPattern: Int32(bytes.count - start))
        bytes[start] = UInt8(truncatingIfNeeded: length)
        bytes[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[start + 3] = UInt8(truncatingIfNeeded: length >> 24)
    }

    private mutating func writeElement(key: String, value: BSONValue) {
        bytes.append(value.typeByte)
        writeKey(key)
        writeValue(value)
    }

    /// Keys are C strings, so a key can't hold NUL; everything from the first NUL on is dropped.
    /// `BSONEncoder` rejects such keys with an error before they get here.
    private mutating func writeKey(_ key: String) {
        let utf8 = key.utf8
        if let nul = utf8.firstIndex(of: 0) {
            bytes.append(contentsOf: utf8[..<nul])
        } else {
            bytes.append(contentsOf: utf8)
        }
        bytes.append(0)
    }

    private mutating func writeValue(_ value: BSONValue) {
        switch value {
        case .double(let double):
            writeUInt64(double.bitPattern)
        case .string(let string):
            let utf8 = string.utf8
            writeInt32(Int32(utf8.count + 1))
            bytes.append(contentsOf: utf8)
            bytes.append(0)
        case .document(let document):
            writeDocument(document)
        case .array(let values):
            writeArray(values)
        case .binary(let subtype, let data):
            writeInt32(Int32(data.count))
            bytes.append(subtype)
            bytes.append(contentsOf: data)
        case .objectID(let id):
            bytes.append(contentsOf: id.bytes)
        case .bool(let bool):
            bytes.append(bool ? 1 : 0)
        case .datetime(let milliseconds):
            writeUInt64(UInt64(bitPattern: milliseconds))
        case .null:
            break
        case .int32(let int):
            writeInt32(int)
        case .int64(let int):
            writeUInt64(UInt64(bitPattern: int))
        case .timestamp(let value):
            writeUInt64(value)
        case .decimal128(let raw):
            bytes.append(contentsOf: raw.prefix(16))
            bytes.append(contentsOf: repeatElement(0, count: max(0, 16 - raw.count)))
        case .minKey, .maxKey:
            break
        }
    }

    private mutating func writeInt32(_ value: Int32) {
        let raw = UInt32(bitPattern: value)
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: raw >> UInt32(shift)))
        }
    }

    private mutating func writeUInt64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// Writes a non-negative array index as ASCII digits without allocating a `String`.
    private mutating func writeDecimal(_ value: Int) {
        guard value >= 10 else {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        writeDecimal(value / 10)
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
