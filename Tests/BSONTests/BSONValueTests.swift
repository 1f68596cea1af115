import BSON
import Foundation
import Testing

@Suite("BSONValue")
struct BSONValueTests {
    @Test func literals() {
        let string: BSONValue = "s"
        let int: BSONValue = 5
        let double: BSONValue = 2.5
        let bool: BSONValue = false
        let array: BSONValue = [1, "x"]
        let document: BSONValue = ["k": "v"]
        #expect(string == .string("s"))
        #expect(int == .int64(5))
        #expect(double == .double(2.5))
        #expect(bool == .bool(false))
        #expect(array == .array([.int64(1), .string("x")]))
        #expect(document == .document(BSONDocument([("k", .string("v"))])))
    }

    @Test func equalityDistinguishesNumericTypes() {
        #expect(BSONValue.int32(1) != .int64(1))
        #expect(BSONValue.int64(1) != .double(1))
        #expect(BSONValue.double(.nan) == .double(.nan))
        #expect(BSONValue.double(0) == .double(-0.0))
        #expect(BSONValue.binary(subtype: 0, data: [1]) != .binary(subtype: 1, data: [1]))
    }

    @Test func stringAndBoolAccessors() {
        #expect(BSONValue.string("x").stringValue == "x")
        #expect(BSONValue.int64(1).stringValue == nil)
        #expect(BSONValue.bool(true).boolValue == true)
        #expect(BSONValue.int32(1).boolValue == nil)
        #expect(BSONValue.null.isNull)
        #expect(!BSONValue.bool(false).isNull)
    }

    @Test("int64Value accepts whole numbers of any numeric type", arguments: [
        (BSONValue.int32(-7), Int64?(-7)),
        (.int64(.max), .max),
        (.double(42), 42),
        (.double(-0.0), 0),
        (.double(42.5), nil),
        (.double(.nan), nil),
        (.double(1e30), nil),
        (.string("42"), nil),
        (.null, nil),
    ])
    func int64Value(value: BSONValue, expected: Int64?) {
        #expect(value.int64Value == expected)
    }

    @Test func numericAccessors() {
        #expect(BSONValue.double(1.5).doubleValue == 1.5)
        #expect(BSONValue.int32(3).doubleValue == 3)
        #expect(BSONValue.int64(1 << 53).doubleValue == 9_007_199_254_740_992)
        #expect(BSONValue.int64((1 << 53) + 1).doubleValue == nil)
        #expect(BSONValue.string("1").doubleValue == nil)
        #expect(BSONValue.int64(3_000_000_000).int32Value == nil)
        #expect(BSONValue.int64(-3).int32Value == -3)
    }

    @Test func containerAccessors() {
        let document: BSONDocument = ["a": 1]
        let id = BSONObjectID()
        #expect(BSONValue.document(document).documentValue == document)
        #expect(BSONValue.array([1]).arrayValue == [1])
        #expect(BSONValue.array([1]).documentValue == nil)
        #expect(BSONValue.objectID(id).objectIDValue == id)
        #expect(BSONValue.binary(subtype: 5, data: [9]).binaryValue == [9])
    }

    @Test func dates() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123)
        #expect(BSONValue.date(date) == .datetime(1_700_000_000_123))
        #expect(BSONValue.datetime(1_700_000_000_123).dateValue == date)
        #expect(BSONValue.date(Date(timeIntervalSince1970: -1.5)) == .datetime(-1_500))
        #expect(BSONValue.date(Date(timeIntervalSince1970: 0.0004)) == .datetime(0))
        #expect(BSONValue.int64(5).dateValue == nil)
    }

    @Test func unrepresentableDatesAreClamped() {
        #expect(BSONValue.date(Date(timeIntervalSince1970: .infinity)) == .datetime(.max))
        #expect(BSONValue.date(Date(timeIntervalSince1970: -1e300)) == .datetime(.min))
        #expect(BSONValue.date(Date(timeIntervalSince1970: .nan)) == .datetime(0))
    }

    @Test func typeNames() {
        #expect(BSONValue.string("").typeName == "string")
        #expect(BSONValue.int32(0).typeName == "int32")
        #expect(BSONValue.datetime(0).typeName == "datetime")
        #expect(BSONValue.null.typeName == "null")
    }
}
