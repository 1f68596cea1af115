import Foundation

/// Turns `Encodable` values into BSON, so models are stored without hand-written conversions.
/// Dates become datetimes, `Data` binary, integers int64 (Int8/16/32 int32), and `nil` optionals absent keys.
public struct BSONEncoder: Sendable {
    /// Passed to `encode(to:)` implementations as `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    /// Encodes a value that encodes as a document (a struct, class or `[String: T]` dictionary).
    /// Throws `BSONError.invalidValue` if it encodes as anything else.
    public func encode<T: Encodable>(_ value: T) throws -> BSONDocument {
        let encoded = try encodeValue(value)
        guard case .document(let document) = encoded else {
            throw BSONError.invalidValue(
                "top-level \(T.self) encoded as \(encoded.typeName), but a document is required", path: "")
        }
        return document
    }

    /// Encodes any value, including scalars and arrays.
    public func encodeValue<T: Encodable>(_ value: T) throws -> BSONValue {
        let slot = EncodingSlot()
        let encoder = _BSONEncoder(slot: slot, codingPath: [], userInfo: userInfo)
        do {
            try encoder.encode(value, into: slot, codingPath: [])
            return try slot.resolve(codingPath: [])
        } catch let error as EncodingError {
            throw BSONError(error)
        }
    }
}

/// A node of the tree being encoded. Containers write into slots by reference, so nested
/// containers and super-encoders may be filled in any order; `resolve` then builds the value.
final class EncodingSlot {
    enum Content {
        case value(BSONValue)
        case keyed(KeyedEncodingBox)
        case unkeyed(UnkeyedEncodingBox)
    }

    var content: Content?

    init(_ content: Content? = nil) {
        self.content = content
    }

    /// The finished value; a slot nothing was encoded into becomes an empty document.
    func resolve(codingPath: [any CodingKey]) throws -> BSONValue {
        switch content {
        case nil:
            return .document(BSONDocument())
        case .value(let value):
            return value
        case .keyed(let box):
            var document = BSONDocument()
            document.reserveCapacity(box.keys.count)
            for (key, slot) in zip(box.keys, box.slots) {
                let keyPath = codingPath + [BSONCodingKey(stringValue: key)]
                guard !key.utf8.contains(0) else {
                    throw BSONError.invalidValue("document keys cannot contain NUL", path: renderCodingPath(keyPath))
                }
                document.appendNew(key, try slot.resolve(codingPath: keyPath))
            }
            return .document(document)
        case .unkeyed(let box):
            var values: [BSONValue] = []
            values.reserveCapacity(box.slots.count)
            for (index, slot) in box.slots.enumerated() {
                values.append(try slot.resolve(codingPath: codingPath + [BSONIndexKey(index)]))
            }
            return .array(values)
        }
    }
}

/// The ordered keys of a keyed container; encoding a key again replaces it in place.
final class KeyedEncodingBox {
    private(set) var keys: [String] = []
    private(set) var slots: [EncodingSlot] = []
    private var index: [String: Int]?

    /// The slot for `key`, created (at the end) if absent.
    func slot(for key: String) -> EncodingSlot {
        let existing: Int? = if let index { index[key] } else { keys.firstIndex(of: key) }
        if let existing {
            return slots[existing]
        }
        let slot = EncodingSlot()
        keys.append(key)
        slots.append(slot)
        if index != nil {
            index?[key] = keys.count - 1
        } else if keys.count > BSONDocument.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        }
        return slot
    }
}

/// The elements of an unkeyed container.
final class UnkeyedEncodingBox {
    private(set) var slots: [EncodingSlot] = []

    func appendSlot(_ content: EncodingSlot.Content? = nil) -> EncodingSlot {
        let slot = EncodingSlot(content)
        slots.append(slot)
        return slot
    }
}

/// The `Encoder` handed to `encode(to:)`; writes whatever it is given into its slot.
final class _BSONEncoder: Encoder {
    let slot: EncodingSlot
    let codingPath: [any CodingKey]
    let sendableUserInfo: [CodingUserInfoKey: any Sendable]

    var userInfo: [CodingUserInfoKey: Any] {
        sendableUserInfo
    }

    init(slot: EncodingSlot, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.slot = slot
        self.codingPath = codingPath
        self.sendableUserInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BSONKeyedEncodingContainer<Key>(encoder: self, box: keyedBox(in: slot)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BSONUnkeyedEncodingContainer(encoder: self, box: unkeyedBox(in: slot))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BSONSingleValueEncodingContainer(encoder: self)
    }

    /// The keyed box already in `slot` (so repeated `container(keyedBy:)` calls share it), or a new one.
    func keyedBox(in slot: EncodingSlot) -> KeyedEncodingBox {
        if case .keyed(let box) = slot.content { return box }
        let box = KeyedEncodingBox()
        slot.content = .keyed(box)
        return box
    }

    func unkeyedBox(in slot: EncodingSlot) -> UnkeyedEncodingBox {
        if case .unkeyed(let box) = slot.content { return box }
        let box = UnkeyedEncodingBox()
        slot.content = .unkeyed(box)
        return box
    }

    /// Encodes `value` into `slot`, replacing what was there.
    func encode<T: Encodable>(_ value: T, into slot: EncodingSlot, codingPath: [any CodingKey]) throws {
        slot.content = nil
        if let special = try specialValue(value, codingPath: codingPath) {
            slot.content = .value(special)
            return
        }
        try value.encode(to: _BSONEncoder(slot: slot, codingPath: codingPath, userInfo: sendableUserInfo))
    }

    /// Types with a fixed BSON representation, plus fast paths for the most common scalars.
    private func specialValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> BSONValue? {
        switch value {
        case let value as BSONValue: return value
        case let document as BSONDocument: return .document(document)
        case let id as BSONObjectID: return .objectID(id)
        case let date as Date: return try bsonDatetime(date, codingPath: codingPath)
        case let data as Data: return .binary(subtype: 0, data: [UInt8](data))
        case let url as URL: return .string(url.absoluteString)
        case let string as String: return .string(string)
        case let int as Int: return .int64(Int64(int))
        case let double as Double: return .double(double)
        case let bool as Bool: return .bool(bool)
        default: return nil
        }
    }

    func bsonDatetime(_ date: Date, codingPath: [any CodingKey]) throws -> BSONValue {
        guard let milliseconds = date.bsonMilliseconds else {
            throw BSONError.valueOutOfRange(
                value: "\(date.timeIntervalSince1970)s since 1970", type: "BSON datetime",
                path: renderCodingPath(codingPath))
        }
        return .datetime(milliseconds)
    }

    /// `UInt`, `UInt64` and friends are stored as int64 and must fit it.
    func int64<I: BinaryInteger>(_ value: I, codingPath: [any CodingKey]) throws -> BSONValue {
        guard let int = Int64(exactly: value) else {
            throw BSONError.valueOutOfRange(value: "\(value)", type: "int64", path: renderCodingPath(codingPath))
        }
        return .int64(int)
    }
}
