import BSON
import Testing

/// Byte-exact vectors: from bsonspec.org and hand-assembled per the specification.
struct KnownEncoding: Sendable, CustomTestStringConvertible {
    let name: String
    let document: BSONDocument
    let hex: String

    var testDescription: String { name }
}

@Suite("Known encodings")
struct KnownEncodingTests {
    static let vectors: [KnownEncoding] = [
        KnownEncoding(
            name: "bsonspec hello world",
            document: ["hello": "world"],
            hex: "16000000 02 68656c6c6f00 06000000 776f726c6400 00"),
        KnownEncoding(
            name: "bsonspec BSON awesome array",
            document: ["BSON": ["awesome", 5.05, .int32(1986)]],
            hex: """
                31000000 04 42534f4e00 26000000
                  02 3000 08000000 617765736f6d6500
                  01 3100 3333333333331440
                  10 3200 c2070000
                00 00
                """),
        KnownEncoding(name: "empty document", document: [:], hex: "05000000 00"),
        KnownEncoding(name: "bool true", document: ["b": true], hex: "09000000 08 6200 01 00"),
        KnownEncoding(name: "null", document: ["n": .null], hex: "08000000 0a 6e00 00"),
        KnownEncoding(name: "int32 -1", document: ["i": .int32(-1)], hex: "0c000000 10 6900 ffffffff 00"),
        KnownEncoding(name: "int64 1", document: ["i": 1], hex: "10000000 12 6900 0100000000000000 00"),
        KnownEncoding(name: "double 1.0", document: ["f": 1.0], hex: "10000000 01 6600 000000000000f03f 00"),
        KnownEncoding(
            name: "datetime 1ms", document: ["d": .datetime(1)], hex: "10000000 09 6400 0100000000000000 00"),
        KnownEncoding(
            name: "objectID",
            document: ["_id": .objectID(BSONObjectID(hex: "507f1f77bcf86cd799439011")!)],
            hex: "16000000 07 5f696400 507f1f77bcf86cd799439011 00"),
        KnownEncoding(
            name: "binary subtype 0x80",
            document: ["x": .binary(subtype: 0x80, data: [1, 2])],
            hex: "0f000000 05 7800 02000000 80 0102 00"),
        KnownEncoding(
            name: "nested document",
            document: ["a": ["b": .int32(1)]],
            hex: "14000000 03 6100 0c000000 10 6200 01000000 00 00"),
    ]

    @Test("serializes byte-exactly", arguments: vectors)
    func serializes(vector: KnownEncoding) {
        #expect(vector.document.bytes() == hexBytes(vector.hex))
    }

    @Test("parses to the expected document", arguments: vectors)
    func parses(vector: KnownEncoding) throws {
        #expect(try BSONDocument(bytes: hexBytes(vector.hex)) == vector.document)
    }

    @Test func bsonspecArrayKeepsInt32() throws {
        let document = try BSONDocument(bytes: hexBytes(Self.vectors[1].hex))
        #expect(document["BSON"]?.arrayValue?[2] == .int32(1986))
        #expect(document["BSON"]?.arrayValue?[1] == .double(5.05))
    }
}

@Suite("Server reply types")
struct ServerReplyTypeTests {
    /// A MongoDB reply carries `$clusterTime` as a timestamp; it must parse and survive a round trip.
    @Test func timestampMinMaxKeyAndDecimal128RoundTrip() throws {
        let document: BSONDocument = [
            "clusterTime": .timestamp(UInt64(1_700_000_000) << 32 | 7),
            "low": .minKey,
            "high": .maxKey,
            "price": .decimal128(Array(1...16)),
        ]
        let bytes = document.bytes()
        // 4 length + (1+12+8) + (1+4) + (1+5) + (1+6+16) + 1 terminator
        #expect(bytes.count == 60)
        #expect(bytes[4] == 0x11)
        let parsed = try BSONDocument(bytes: bytes)
        #expect(parsed == document)
        #expect(parsed["clusterTime"] == .timestamp(UInt64(1_700_000_000) << 32 | 7))
        #expect(parsed["low"] != parsed["high"])
    }
}
