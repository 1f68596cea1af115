import BSON

/// Bytes from hex digits; spaces are ignored so test vectors can be grouped by field.
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// A document nested `depth` levels deep (the top level counts as 1), alternating documents and arrays.
func nestedDocument(depth: Int) -> BSONDocument {
    var value: BSONValue = .document(["leaf": true])
    for level in 2..<max(depth, 2) {
        value = level.isMultiple(of: 2) ? .array([value]) : .document(["n": value])
    }
    return depth <= 1 ? ["leaf": true] : ["root": value]
}

/// Raw bytes of `depth` documents nested through key "a", built without recursion.
func deeplyNestedBytes(depth: Int) -> [UInt8] {
    var lengths = [5]
    for _ in 1..<depth { lengths.append(lengths[lengths.count - 1] + 8) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(lengths.last!)
    for level in (0..<depth).reversed() {
        bytes += littleEndian(Int32(lengths[level]))
        if level > 0 { bytes += [0x03, 0x61, 0x00] }
    }
    bytes += [UInt8](repeating: 0, count: depth)
    return bytes
}

func littleEndian(_ value: Int32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

/// A document using every supported type, nested documents and arrays, and unicode.
let kitchenSinkDocument: BSONDocument = [
    "double": 3.25,
    "string": "héllo wörld 🌍",
    "document": ["inner": "value", "n": .int32(7)],
    "array": [1, "two", 3.0, ["four": 4], [5, [6]]],
    "binary": .binary(subtype: 0x80, data: [0, 1, 2, 255]),
    "objectID": .objectID(BSONObjectID(hex: "507f1f77bcf86cd799439011")!),
    "true": true,
    "false": false,
    "datetime": .datetime(1_700_000_000_123),
    "null": .null,
    "int32": .int32(-42),
    "int64": .int64(.max),
    "ключ": "значение",
    "": "empty key",
]
