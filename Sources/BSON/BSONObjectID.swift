import Foundation

/// MongoDB's 12-byte identifier (4-byte timestamp, 5 random process bytes, 3-byte counter),
/// generated locally so new documents get sortable, unique `_id`s without a server round trip.
public struct BSONObjectID: Sendable, Hashable, CustomStringConvertible {
    /// Always exactly 12 bytes.
    public let bytes: [UInt8]

    /// A new, unique identifier for the current time.
    public init() {
        let seconds = UInt32(truncatingIfNeeded: Int64(Date().timeIntervalSince1970))
        let counter = Self.counter.next()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        bytes.append(contentsOf: bigEndianBytes(seconds, count: 4))
        bytes.append(contentsOf: Self.processUnique)
        bytes.append(contentsOf: bigEndianBytes(counter, count: 3))
        self.bytes = bytes
    }

    /// Parses 24 hexadecimal digits (either case); `nil` for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 24 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        for pair in stride(from: 0, to: 24, by: 2) {
            guard let high = hexDigitValue(digits[pair]), let low = hexDigitValue(digits[pair + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    /// Wraps exactly 12 raw bytes; `nil` for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    /// For the parser, which has already read exactly 12 bytes.
    init(validatedBytes: ArraySlice<UInt8>) {
        bytes = Array(validatedBytes)
    }

    /// 24 lowercase hexadecimal digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(24)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The creation time embedded in the first four bytes (second precision).
    public var timestamp: Date {
        let seconds = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    public var description: String {
        hex
    }

    /// Random per process, as the ObjectId specification asks.
    private static let processUnique: [UInt8] = (0..<5).map { _ in UInt8.random(in: .min ... .max) }
    private static let counter = ObjectIDCounter()
}

extension BSONObjectID: Codable {
    /// Decodes a BSON objectID from `BSONDecoder`, or a 24-digit hex string from other decoders.
    public init(from decoder: any Decoder) throws {
        if let bsonDecoder = decoder as? _BSONDecoder {
            self = try bsonDecoder.unbox(bsonDecoder.value, as: BSONObjectID.self, path: bsonDecoder.codingPath)
            return
        }
        let container = try decoder.singleValueContainer()
        let hex = try container.decode(String.self)
        guard let id = BSONObjectID(hex: hex) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(hex)' is not a 24-digit hexadecimal ObjectID")
        }
        self = id
    }

    /// Encodes as a BSON objectID with `BSONEncoder`, or as a hex string with other encoders.
    public func encode(to encoder: any Encoder) throws {
        if let bsonEncoder = encoder as? _BSONEncoder {
            bsonEncoder.slot.content = .value(.objectID(self))
            return
        }
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// The 24-bit wrapping counter in generated ids, shared by all threads of the process.
private final class ObjectIDCounter: @unchecked Sendable {
    // `@unchecked`: `value` is only touched while holding `lock`.
    private let lock = NSLock()
    private var value = UInt32.random(in: 0..<0x100_0000)

    func next() -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        value = (value &+ 1) & 0xFF_FFFF
        return value
    }
}

private func bigEndianBytes(_ value: UInt32, count: Int) -> [UInt8] {
    (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> UInt32($0 * 8)) }
}

private func hexDigitValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
    default: return nil
    }
}
