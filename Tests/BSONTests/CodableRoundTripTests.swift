import BSON
import Foundation
import Testing

@Suite("Codable round trips")
struct CodableRoundTripTests {
    let encoder = BSONEncoder()
    let decoder = BSONDecoder()

    @Test func productRoundTripsThroughDocument() throws {
        let document = try encoder.encode(Product.sample)
        #expect(try decoder.decode(Product.self, from: document) == Product.sample)
    }

    @Test func productRoundTripsThroughBytes() throws {
        let bytes = try encoder.encode(Product.sample).bytes()
        let decoded = try decoder.decode(Product.self, from: BSONDocument(bytes: bytes))
        #expect(decoded == Product.sample)
    }

    @Test func productEncodesToTheExpectedBSONTypes() throws {
        let document = try encoder.encode(Product.sample)
        #expect(document.keys.first == "id")
        #expect(document["id"] == .objectID(Product.sample.id))
        #expect(document["name"] == "Widget ✨")
        #expect(document["createdAt"] == .datetime(1_700_000_000_123))
        #expect(document["imageLookup"]?.documentValue?["lookupAttemptedAt"] == .datetime(1_700_000_100_500))
        #expect(document["imageLookup"]?.documentValue?["url"] == "https://example.com/a.png")
        #expect(document["tags"] == [["name": "a", "weight": 0.5], ["name": "b", "weight": 2.0]])
        #expect(document["nickname"] == "wiggy")
        #expect(document["note"] == nil, "nil optionals are left out")
        #expect(document["big"] == .int64(.max))
        #expect(document["small"] == .int32(.max))
        #expect(document["smallMin"] == .int32(.min))
        #expect(document["tiny"] == .int32(-8))
        #expect(document["byte"] == .int64(255))
        #expect(document["unsigned"] == .int64(Int64(UInt32.max)))
        #expect(document["ratio"] == .double(Double(Float(0.1))))
        #expect(document["status"] == "retired")
        #expect(document["priority"] == .int64(2))
        #expect(document["shape"] == ["circle": ["radius": 1.5]])
        #expect(document["thumbnail"] == .binary(subtype: 0, data: [0, 1, 2, 0xFF]))
        #expect(document["counts"]?.documentValue?["y"] == 2)
        #expect(document["matrix"] == [[1, 2], [], [3]])
        #expect(document["optionalInts"] == [1, .null, 3])
        #expect(document["extra"] == ["any": [1, .null, "thing"]])
        #expect(document["raw"] == ["$set": ["n": .int32(1)]])
        #expect(document["homepage"] == "https://example.com")
    }

    @Test func optionalPresentAndAbsent() throws {
        #expect(try encoder.encode(OptionalField(value: 3)) == ["value": 3])
        #expect(try encoder.encode(OptionalField(value: nil)) == [:])
        #expect(try decoder.decode(OptionalField.self, from: ["value": 3]) == OptionalField(value: 3))
        #expect(try decoder.decode(OptionalField.self, from: [:]) == OptionalField(value: nil))
        #expect(try decoder.decode(OptionalField.self, from: ["value": .null]) == OptionalField(value: nil))
    }

    @Test func explicitNull() throws {
        let document = try encoder.encode(ExplicitNull(value: nil))
        #expect(document == ["value": .null])
        #expect(try decoder.decode(ExplicitNull.self, from: document) == ExplicitNull(value: nil))
        #expect(try encoder.encode(ExplicitNull(value: "x")) == ["value": "x"])
    }

    static let presenceCases: [(BSONDocument, Presence.State)] = [
        ([:], .absent),
        (["field": .null], .null),
        (["field": .int32(4)], .value(4)),
    ]

    @Test("null and absent are distinguishable", arguments: presenceCases)
    func nullVersusAbsent(document: BSONDocument, expected: Presence.State) throws {
        #expect(try decoder.decode(Presence.self, from: document).state == expected)
    }

    @Test("integer boundaries round trip with the right BSON type", arguments: [
        (Int64.max, BSONValue.int64(.max)), (.min, .int64(.min)), (0, .int64(0)),
    ])
    func int64Boundaries(value: Int64, expected: BSONValue) throws {
        #expect(try encoder.encodeValue(value) == expected)
        #expect(try decoder.decode(Int64.self, from: expected) == value)
    }

    @Test("Int32 boundaries", arguments: [Int32.max, .min, 0, -1])
    func int32Boundaries(value: Int32) throws {
        #expect(try encoder.encodeValue(value) == .int32(value))
        #expect(try decoder.decode(Int32.self, from: .int32(value)) == value)
        #expect(try decoder.decode(Int32.self, from: .int64(Int64(value))) == value)
    }

    @Test func unsignedBoundaries() throws {
        #expect(try encoder.encodeValue(UInt64(Int64.max)) == .int64(.max))
        #expect(try decoder.decode(UInt64.self, from: .int64(.max)) == UInt64(Int64.max))
        #expect(try decoder.decode(UInt8.self, from: .int32(255)) == 255)
        #expect(try decoder.decode(UInt.self, from: .double(7)) == 7)
    }

    @Test func integersDecodeFromAnyExactNumber() throws {
        #expect(try decoder.decode(Int.self, from: .int32(5)) == 5)
        #expect(try decoder.decode(Int.self, from: .int64(5)) == 5)
        #expect(try decoder.decode(Int.self, from: .double(5)) == 5)
        #expect(try decoder.decode(Int16.self, from: .double(-300)) == -300)
    }

    @Test func floatingPointDecodesFromIntegers() throws {
        #expect(try decoder.decode(Double.self, from: .int32(3)) == 3)
        #expect(try decoder.decode(Double.self, from: .int64(-4)) == -4)
        #expect(try decoder.decode(Float.self, from: .int64(2)) == 2)
        #expect(try decoder.decode(Float.self, from: .double(0.1)) == Float(0.1))
        #expect(try decoder.decode(Float.self, from: .double(.infinity)) == .infinity)
    }

    @Test func datesKeepMillisecondPrecision() throws {
        let date = Date(timeIntervalSince1970: 1_234_567_890.987)
        let value = try encoder.encodeValue(date)
        #expect(value == .datetime(1_234_567_890_987))
        #expect(try decoder.decode(Date.self, from: value) == date)
        let beforeEpoch = Date(timeIntervalSince1970: -86_400.25)
        #expect(try decoder.decode(Date.self, from: encoder.encodeValue(beforeEpoch)) == beforeEpoch)
    }

    @Test func collectionsRoundTrip() throws {
        let dictionary: [String: [Tag]] = ["x": [Tag(name: "t", weight: 1)], "y": []]
        let document = try encoder.encode(dictionary)
        #expect(document.count == 2)
        #expect(try decoder.decode([String: [Tag]].self, from: document) == dictionary)

        let intKeyed: [Int: String] = [1: "one", 20: "twenty"]
        let intDocument = try encoder.encode(intKeyed)
        #expect(intDocument["20"] == "twenty")
        #expect(try decoder.decode([Int: String].self, from: intDocument) == intKeyed)

        let nested: [[[String]]] = [[["a"]], [], [["b", "c"], []]]
        #expect(try decoder.decode([[[String]]].self, from: encoder.encodeValue(nested)) == nested)

        let tags = [Tag(name: "a", weight: 1), Tag(name: "b", weight: 2)]
        let tagsValue = try encoder.encodeValue(tags)
        #expect(tagsValue == [["name": "a", "weight": 1.0], ["name": "b", "weight": 2.0]])
        #expect(try decoder.decode([Tag].self, from: tagsValue) == tags)
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try encoder.encodeValue(5) == .int64(5))
        #expect(try encoder.encodeValue("s") == "s")
        #expect(try encoder.encodeValue(Int?.none) == .null)
        #expect(try encoder.encodeValue(Meters(2.5)) == .double(2.5))
        #expect(try decoder.decode(Meters.self, from: .int32(3)) == Meters(3))
        #expect(try decoder.decode(Int?.self, from: .null) == nil)
        #expect(try decoder.decode(String.self, from: "x") == "x")
        #expect(try decoder.decode(Bool.self, from: true) == true)
    }

    @Test func enumsRoundTrip() throws {
        for shape in [Shape.circle(radius: 2), .square(side: 3), .none] {
            #expect(try decoder.decode(Shape.self, from: encoder.encodeValue(shape)) == shape)
        }
        #expect(try decoder.decode(Status.self, from: "active") == .active)
        #expect(try decoder.decode(Priority.self, from: .int32(1)) == .low)
    }

    @Test func bsonTypesPassThrough() throws {
        let value: BSONValue = ["a": [.int32(1), .datetime(5), .binary(subtype: 3, data: [1])], "b": .null]
        #expect(try encoder.encodeValue(value) == value)
        #expect(try decoder.decode(BSONValue.self, from: value) == value)
        #expect(try decoder.decode(BSONValue.self, from: .null) == .null)
        #expect(try decoder.decode(BSONValue?.self, from: .null) == nil)

        let document: BSONDocument = ["z": 1, "a": .int32(2)]
        #expect(try encoder.encode(document) == document)
        #expect(try decoder.decode(BSONDocument.self, from: document) == document)

        let id = BSONObjectID()
        #expect(try encoder.encodeValue(id) == .objectID(id))
        #expect(try decoder.decode(BSONObjectID.self, from: .objectID(id)) == id)
    }
}
