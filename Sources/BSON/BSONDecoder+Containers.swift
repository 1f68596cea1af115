/// The three Codable decoding containers over `BSONValue`s. Absent keys throw `keyNotFound`;
/// `decodeIfPresent` (the stdlib default built on `contains` and `decodeNil`) yields `nil` for absent or null.

/// Reads fields of a BSON document by key.
struct BSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: _BSONDecoder
    let document: BSONDocument

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        document.keys.compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        document.containsKey(key.stringValue)
    }

    private func path(_ key: Key) -> [any CodingKey] {
        codingPath + [key]
    }

    private func value(_ key: Key) throws -> BSONValue {
        guard let value = document[key.stringValue] else {
            throw BSONError.keyNotFound(key.stringValue, path: renderCodingPath(path(key)))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try value(key).isNull
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decoder.unboxBool(value(key), path: path(key))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decoder.unboxString(value(key), path: path(key))
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder.unboxDouble(value(key), path: path(key))
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decoder.unboxFloat(value(key), path: path(key))
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    private func integer<I: FixedWidthInteger>(_ key: Key) throws -> I {
        try decoder.unboxInteger(value(key), as: I.self, path: path(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.unbox(value(key), as: type, path: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.nested(value(key), path: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.nested(value(key), path: path(key)).unkeyedContainer()
    }

    /// A decoder for the "super" key; an absent key decodes as null.
    func superDecoder() throws -> any Decoder {
        let key = BSONCodingKey.superKey
        return decoder.nested(document[key.stringValue] ?? .null, path: codingPath + [key])
    }

    /// A decoder for `key`; an absent key decodes as null.
    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.nested(document[key.stringValue] ?? .null, path: path(key))
    }
}

/// Reads a BSON array element by element.
struct BSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: _BSONDecoder
    let values: [BSONValue]
    private(set) var currentIndex = 0

    init(decoder: _BSONDecoder, values: [BSONValue]) {
        self.decoder = decoder
        self.values = values
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { values.count }
    var isAtEnd: Bool { currentIndex >= values.count }

    private var currentPath: [any CodingKey] {
        codingPath + [BSONIndexKey(currentIndex)]
    }

    /// The current element; the index only advances once it has decoded successfully.
    private func current() throws -> BSONValue {
        guard !isAtEnd else {
            throw BSONError.keyNotFound("[\(currentIndex)]", path: renderCodingPath(currentPath))
        }
        return values[currentIndex]
    }

    private mutating func advance<T>(_ decoded: T) -> T {
        currentIndex += 1
        return decoded
    }

    mutating func decodeNil() throws -> Bool {
        guard try current().isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        advance(try decoder.unboxBool(current(), path: currentPath))
    }

    mutating func decode(_ type: String.Type) throws -> String {
        advance(try decoder.unboxString(current(), path: currentPath))
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        advance(try decoder.unboxDouble(current(), path: currentPath))
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        advance(try decoder.unboxFloat(current(), path: currentPath))
    }

    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private mutating func integer<I: FixedWidthInteger>() throws -> I {
        advance(try decoder.unboxInteger(current(), as: I.self, path: currentPath))
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        advance(try decoder.unbox(current(), as: type, path: currentPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        advance(try decoder.nested(current(), path: currentPath).container(keyedBy: type))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        advance(try decoder.nested(current(), path: currentPath).unkeyedContainer())
    }

    mutating func superDecoder() throws -> any Decoder {
        advance(decoder.nested(try current(), path: currentPath))
    }
}

/// Reads the decoder's one value (raw-value enums, wrappers, scalars).
struct BSONSingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: _BSONDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }
    private var value: BSONValue { decoder.value }

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.unboxBool(value, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try decoder.unboxString(value, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.unboxDouble(value, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.unboxFloat(value, path: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private func integer<I: FixedWidthInteger>() throws -> I {
        try decoder.unboxInteger(value, as: I.self, path: codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.unbox(value, as: type, path: codingPath)
    }
}
