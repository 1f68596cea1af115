/// The three Codable encoding containers, writing into `EncodingSlot`s. Integer mapping:
/// Int8/16/32 → int32; every other integer → int64 (throwing if an unsigned value exceeds `Int64.max`).

/// Writes a struct's (or dictionary's) fields into a `KeyedEncodingBox`, in encoding order.
struct BSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: _BSONEncoder
    let box: KeyedEncodingBox

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put(_ value: BSONValue, _ key: Key) {
        box.slot(for: key.stringValue).content = .value(value)
    }

    private func path(_ key: Key) -> [any CodingKey] {
        codingPath + [key]
    }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int64(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int32(Int32(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int32(Int32(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int32(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.int64(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.int64(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.int64(Int64(value)), key) }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        put(try encoder.int64(value, codingPath: path(key)), key)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        put(try encoder.int64(value, codingPath: path(key)), key)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encoder.encode(value, into: box.slot(for: key.stringValue), codingPath: path(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let slot = box.slot(for: key.stringValue)
        let nested = _BSONEncoder(slot: slot, codingPath: path(key), userInfo: encoder.sendableUserInfo)
        return nested.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let slot = box.slot(for: key.stringValue)
        let nested = _BSONEncoder(slot: slot, codingPath: path(key), userInfo: encoder.sendableUserInfo)
        return nested.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let slot = box.slot(for: BSONCodingKey.superKey.stringValue)
        slot.content = nil
        return _BSONEncoder(
            slot: slot, codingPath: codingPath + [BSONCodingKey.superKey], userInfo: encoder.sendableUserInfo)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let slot = box.slot(for: key.stringValue)
        slot.content = nil
        return _BSONEncoder(slot: slot, codingPath: path(key), userInfo: encoder.sendableUserInfo)
    }
}

/// Appends array elements to an `UnkeyedEncodingBox`.
struct BSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: _BSONEncoder
    let box: UnkeyedEncodingBox

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { box.slots.count }

    private var nextPath: [any CodingKey] {
        codingPath + [BSONIndexKey(count)]
    }

    private func put(_ value: BSONValue) {
        _ = box.appendSlot(.value(value))
    }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.double(value)) }
    mutating func encode(_ value: Float) throws { put(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int32(Int32(value))) }
    mutating func encode(_ value: Int16) throws { put(.int32(Int32(value))) }
    mutating func encode(_ value: Int32) throws { put(.int32(value)) }
    mutating func encode(_ value: Int64) throws { put(.int64(value)) }
    mutating func encode(_ value: UInt8) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt) throws { put(try encoder.int64(value, codingPath: nextPath)) }
    mutating func encode(_ value: UInt64) throws { put(try encoder.int64(value, codingPath: nextPath)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try encoder.encode(value, into: box.appendSlot(), codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        let nested = _BSONEncoder(slot: box.appendSlot(), codingPath: path, userInfo: encoder.sendableUserInfo)
        return nested.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let nested = _BSONEncoder(slot: box.appendSlot(), codingPath: path, userInfo: encoder.sendableUserInfo)
        return nested.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return _BSONEncoder(slot: box.appendSlot(), codingPath: path, userInfo: encoder.sendableUserInfo)
    }
}

/// Stores one value directly in the encoder's slot (raw-value enums, wrappers, scalars).
struct BSONSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: _BSONEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put(_ value: BSONValue) {
        encoder.slot.content = .value(value)
    }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.double(value)) }
    mutating func encode(_ value: Float) throws { put(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int32(Int32(value))) }
    mutating func encode(_ value: Int16) throws { put(.int32(Int32(value))) }
    mutating func encode(_ value: Int32) throws { put(.int32(value)) }
    mutating func encode(_ value: Int64) throws { put(.int64(value)) }
    mutating func encode(_ value: UInt8) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int64(Int64(value))) }
    mutating func encode(_ value: UInt) throws { put(try encoder.int64(value, codingPath: codingPath)) }
    mutating func encode(_ value: UInt64) throws { put(try encoder.int64(value, codingPath: codingPath)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encode(value, into: encoder.slot, codingPath: codingPath)
    }
}
