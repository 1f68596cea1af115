/// One BSON value of a supported type; the unit that documents, arrays, filters and Codable are built from.
/// Deprecated and rarely used BSON types (decimal128, regex, timestamp, ...) are intentionally absent.
public indirect enum BSONValue: Sendable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSONValue])
    case binary(subtype: UInt8, data: [UInt8])
    case objectID(BSONObjectID)
    case bool(Bool)
    /// Milliseconds since the Unix epoch (UTC).
    case datetime(Int64)
    case null
    case int32(Int32)
    case int64(Int64)
    /// MongoDB's internal timestamp (replication, `$clusterTime`): seconds in the high 32 bits, an ordinal in the low.
    case timestamp(UInt64)
    /// A decimal128's 16 little-endian bytes, kept as they are: nothing here does decimal arithmetic.
    case decimal128([UInt8])
    case minKey
    case maxKey
}

extension BSONValue: Equatable {
    /// Structural equality. Unlike `Double`, a NaN double equals another NaN double, so that
    /// a value always equals itself and its own round trip through the binary format.
    public static func == (lhs: BSONValue, rhs: BSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.double(let a), .double(let b)):
            return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)):
            return a == b
        case (.document(let a), .document(let b)):
            return a == b
        case (.array(let a), .array(let b)):
            return a == b
        case (.binary(let subtypeA, let dataA), .binary(let subtypeB, let dataB)):
            return subtypeA == subtypeB && dataA == dataB
        case (.objectID(let a), .objectID(let b)):
            return a == b
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.datetime(let a), .datetime(let b)):
            return a == b
        case (.null, .null):
            return true
        case (.int32(let a), .int32(let b)):
            return a == b
        case (.int64(let a), .int64(let b)):
            return a == b
        case (.timestamp(let a), .timestamp(let b)):
            return a == b
        case (.decimal128(let a), .decimal128(let b)):
            return a == b
        case (.minKey, .minKey), (.maxKey, .maxKey):
            return true
        default:
            return false
        }
    }
}

extension BSONValue {
    /// The type byte this value is written with in the binary format.
    var typeByte: UInt8 {
        switch self {
        case .double: return 0x01
        case .string: return 0x02
        case .document: return 0x03
        case .array: return 0x04
        case .binary: return 0x05
        case .objectID: return 0x07
        case .bool: return 0x08
        case .datetime: return 0x09
        case .null: return 0x0A
        case .int32: return 0x10
        case .int64: return 0x12
        case .timestamp: return 0x11
        case .decimal128: return 0x13
        case .minKey: return 0xFF
        case .maxKey: return 0x7F
        }
    }

    /// The BSON type name, used in error messages ("string", "int32", ...).
    public var typeName: String {
        bsonTypeName(typeByte)
    }
}
