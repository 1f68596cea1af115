import Foundation

/// Codable conformances so `BSONValue` and `BSONDocument` can be fields of Codable models.
/// With `BSONEncoder`/`BSONDecoder` they pass through unchanged; other coders get a JSON-like shape.

extension BSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let bsonDecoder = decoder as? _BSONDecoder {
            self = bsonDecoder.value
            return
        }
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
                return
            }
            if let int = try? container.decode(Int64.self) {
                self = .int64(int)
                return
            }
            if let double = try? container.decode(Double.self) {
                self = .double(double)
                return
            }
            if let string = try? container.decode(String.self) {
                self = .string(string)
                return
            }
        }
        if var container = try? decoder.unkeyedContainer() {
            var values: [BSONValue] = []
            while !container.isAtEnd {
                values.append(try container.decode(BSONValue.self))
            }
            self = .array(values)
            return
        }
        self = .document(try BSONDocument(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        if let bsonEncoder = encoder as? _BSONEncoder {
            bsonEncoder.slot.content = .value(self)
            return
        }
        switch self {
        case .document(let document):
            try document.encode(to: encoder)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values {
                try container.encode(value)
            }
        default:
            var container = encoder.singleValueContainer()
            try encodeScalar(into: &container)
        }
    }

    private func encodeScalar(into container: inout any SingleValueEncodingContainer) throws {
        switch self {
        case .double(let double): try container.encode(double)
        case .string(let string): try container.encode(string)
        case .binary(_, let data): try container.encode(Data(data))
        case .objectID(let id): try container.encode(id)
        case .bool(let bool): try container.encode(bool)
        case .datetime(let milliseconds): try container.encode(Date(bsonMilliseconds: milliseconds))
        case .null: try container.encodeNil()
        case .int32(let int): try container.encode(int)
        case .int64(let int): try container.encode(int)
        case .timestamp(let value): try container.encode(value)
        case .decimal128(let raw): try container.encode(Data(raw))
        case .minKey, .maxKey: try container.encodeNil()
        case .document, .array: break  // handled by encode(to:)
        }
    }
}

extension BSONDocument: Codable {
    public init(from decoder: any Decoder) throws {
        if let bsonDecoder = decoder as? _BSONDecoder {
            self = try bsonDecoder.unbox(bsonDecoder.value, as: BSONDocument.self, path: bsonDecoder.codingPath)
            return
        }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        self.init()
        for key in container.allKeys {
            self[key.stringValue] = try container.decode(BSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let bsonEncoder = encoder as? _BSONEncoder {
            bsonEncoder.slot.content = .value(.document(self))
            return
        }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        for (key, value) in self {
            try container.encode(value, forKey: BSONCodingKey(stringValue: key))
        }
    }
}
