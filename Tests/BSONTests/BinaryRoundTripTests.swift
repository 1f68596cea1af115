import BSON
import Testing

@Suite("Binary round trips")
struct BinaryRoundTripTests {
    static let values: [BSONValue] = [
        .double(0), .double(-0.0), .double(3.141592653589793), .double(.infinity), .double(-.infinity),
        .double(.nan), .double(.leastNonzeroMagnitude), .double(.greatestFiniteMagnitude),
        .string(""), .string("plain"), .string("héllo wörld"), .string("日本語 🎉👩‍👩‍👧"),
        .string("embedded\u{0}nul"),
        .document([:]), .document(["a": 1, "b": ["c": ["d": "deep"]]]),
        .array([]), .array([1, "two", 3.5, true, .null]), .array([[1, 2], [[3]], [], [["k": "v"]]]),
        .binary(subtype: 0, data: []), .binary(subtype: 0, data: Array(0...255)),
        .binary(subtype: 0x04, data: Array(repeating: 0xAB, count: 16)),
        .objectID(BSONObjectID()), .objectID(BSONObjectID(hex: "000000000000000000000000")!),
        .bool(true), .bool(false),
        .datetime(0), .datetime(-62_135_596_800_000), .datetime(1_700_000_000_123), .datetime(.max),
        .null,
        .int32(0), .int32(.min), .int32(.max), .int64(0), .int64(.min), .int64(.max),
    ]

    @Test("every value survives serialize → parse", arguments: values)
    func valueRoundTrips(value: BSONValue) throws {
        let document: BSONDocument = ["value": value]
        let parsed = try BSONDocument(bytes: document.bytes())
        #expect(parsed == document)
        #expect(parsed.bytes() == document.bytes())
    }

    @Test func kitchenSinkRoundTrips() throws {
        let bytes = kitchenSinkDocument.bytes()
        let parsed = try BSONDocument(bytes: bytes)
        #expect(parsed == kitchenSinkDocument)
        #expect(parsed.keys == kitchenSinkDocument.keys)
        #expect(parsed.bytes() == bytes)
    }

    @Test func unicodeKeysAndStrings() throws {
        let document: BSONDocument = ["ключ": "значение", "鍵": "値", "emoji 🎉": "🎉", "é": .int32(1)]
        let parsed = try BSONDocument(bytes: document.bytes())
        #expect(parsed.keys == ["ключ", "鍵", "emoji 🎉", "é"])
        #expect(parsed["鍵"] == "値")
        #expect(parsed == document)
    }

    @Test func emptyDocumentIsFiveBytes() throws {
        #expect(BSONDocument().bytes() == [5, 0, 0, 0, 0])
        #expect(try BSONDocument(bytes: [5, 0, 0, 0, 0]).isEmpty)
    }

    @Test func keyOrderIsPreserved() throws {
        let keys = (0..<50).map { "k\(49 - $0)" }
        var document = BSONDocument()
        for (position, key) in keys.enumerated() {
            document.append(key, .int64(Int64(position)))
        }
        let parsed = try BSONDocument(bytes: document.bytes())
        #expect(parsed.keys == keys)
        #expect(parsed["k0"] == 49)
    }

    @Test func maximumNestingRoundTrips() throws {
        let document = nestedDocument(depth: BSONDocument.maximumNestingDepth)
        #expect(try BSONDocument(bytes: document.bytes()) == document)
    }

    @Test func nanPayloadIsKeptBitExact() throws {
        let quiet = Double(bitPattern: 0x7FF8_0000_0000_0001)
        let document: BSONDocument = ["nan": .double(quiet)]
        let bytes = document.bytes()
        guard case .double(let parsed)? = try BSONDocument(bytes: bytes)["nan"] else {
            Issue.record("expected a double")
            return
        }
        #expect(parsed.bitPattern == quiet.bitPattern)
    }
}
