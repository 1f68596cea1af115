import BSON
import Foundation
import Testing

struct Catalog: Codable, Equatable {
    var imageLookup: ImageLookup
    var tags: [Tag]
    var status: Status
    var small: Int32
}

@Suite("Codable errors")
struct CodableErrorTests {
    let decoder = BSONDecoder()
    let encoder = BSONEncoder()

    static let valid: BSONDocument = [
        "imageLookup": ["lookupAttemptedAt": .datetime(0), "attempts": 1],
        "tags": [["name": "a", "weight": 1.0], ["name": "b", "weight": 2.0]],
        "status": "active",
        "small": .int32(1),
    ]

    /// `valid` with the value at a dotted path replaced (or removed, for `nil`).
    static func replacing(_ path: [String], with value: BSONValue?) -> BSONDocument {
        func replace(_ document: BSONDocument, _ path: ArraySlice<String>) -> BSONDocument {
            var document = document
            let key = path.first!
            if path.count == 1 {
                document[key] = value
            } else if case .array(var values)? = document[key], let index = Int(path.dropFirst().first!) {
                values[index] = .document(replace(values[index].documentValue!, path.dropFirst(2)))
                document[key] = .array(values)
            } else {
                document[key] = .document(replace(document[key]!.documentValue!, path.dropFirst()))
            }
            return document
        }
        return replace(valid, path[...])
    }

    @Test func validDocumentDecodes() throws {
        #expect(try decoder.decode(Catalog.self, from: Self.valid).small == 1)
    }

    @Test func typeMismatchNamesThePath() {
        let document = Self.replacing(["imageLookup", "lookupAttemptedAt"], with: "yesterday")
        #expect(throws: BSONError.typeMismatch(
            expected: "Date (BSON datetime)", found: "string", path: "imageLookup.lookupAttemptedAt")) {
            try decoder.decode(Catalog.self, from: document)
        }
        #expect {
            try decoder.decode(Catalog.self, from: document)
        } throws: { error in
            "\(error)" == "type mismatch at imageLookup.lookupAttemptedAt: expected Date (BSON datetime), found string"
        }
    }

    @Test func typeMismatchInsideArrayNamesTheIndex() {
        let document = Self.replacing(["tags", "1", "weight"], with: "heavy")
        #expect(throws: BSONError.typeMismatch(expected: "Double", found: "string", path: "tags[1].weight")) {
            try decoder.decode(Catalog.self, from: document)
        }
    }

    @Test func datesAcceptOnlyDatetime() {
        let document = Self.replacing(["imageLookup", "lookupAttemptedAt"], with: .int64(0))
        #expect(throws: BSONError.typeMismatch(
            expected: "Date (BSON datetime)", found: "int64", path: "imageLookup.lookupAttemptedAt")) {
            try decoder.decode(Catalog.self, from: document)
        }
    }

    @Test func missingKeyNamesThePath() {
        #expect(throws: BSONError.keyNotFound("attempts", path: "imageLookup.attempts")) {
            try decoder.decode(Catalog.self, from: Self.replacing(["imageLookup", "attempts"], with: nil))
        }
        #expect(throws: BSONError.keyNotFound("status", path: "status")) {
            try decoder.decode(Catalog.self, from: Self.replacing(["status"], with: nil))
        }
    }

    @Test func nullForRequiredValueIsAMismatch() {
        #expect(throws: BSONError.typeMismatch(expected: "Int", found: "null", path: "value")) {
            try decoder.decode(RequiredField.self, from: ["value": .null])
        }
    }

    @Test("out-of-range integers throw", arguments: [
        (BSONValue.int64(3_000_000_000), "3000000000"),
        (.int64(-2_147_483_649), "-2147483649"),
        (.double(1e10), "10000000000.0"),
    ])
    func outOfRange(value: BSONValue, rendered: String) {
        #expect(throws: BSONError.valueOutOfRange(value: rendered, type: "Int32", path: "small")) {
            try decoder.decode(Catalog.self, from: Self.replacing(["small"], with: value))
        }
    }

    @Test func otherRangeChecks() {
        #expect(throws: BSONError.valueOutOfRange(value: "-1", type: "UInt8", path: "")) {
            try decoder.decode(UInt8.self, from: .int32(-1))
        }
        #expect(throws: BSONError.valueOutOfRange(value: "1e+20", type: "Int", path: "")) {
            try decoder.decode(Int.self, from: .double(1e20))
        }
        #expect(throws: BSONError.valueOutOfRange(value: "1e+300", type: "Float", path: "")) {
            try decoder.decode(Float.self, from: .double(1e300))
        }
        #expect(throws: BSONError.valueOutOfRange(value: "\(UInt64.max)", type: "int64", path: "[1]")) {
            try encoder.encodeValue([0, UInt64.max])
        }
    }

    @Test func nonIntegralDoubleIsAMismatch() {
        #expect(throws: BSONError.typeMismatch(expected: "Int", found: "non-integral double 2.5", path: "")) {
            try decoder.decode(Int.self, from: .double(2.5))
        }
        #expect(throws: BSONError.self) { try decoder.decode(Int.self, from: .double(.nan)) }
    }

    @Test func strictScalarTypes() {
        #expect(throws: BSONError.typeMismatch(expected: "Bool", found: "int32", path: "")) {
            try decoder.decode(Bool.self, from: .int32(1))
        }
        #expect(throws: BSONError.typeMismatch(expected: "String", found: "int64", path: "")) {
            try decoder.decode(String.self, from: 1)
        }
        #expect(throws: BSONError.typeMismatch(expected: "Data (BSON binary)", found: "string", path: "")) {
            try decoder.decode(Data.self, from: "AAEC")
        }
        #expect(throws: BSONError.typeMismatch(expected: "document", found: "array", path: "")) {
            try decoder.decode(Tag.self, from: [1])
        }
        #expect(throws: BSONError.typeMismatch(expected: "array", found: "document", path: "tags")) {
            try decoder.decode(Catalog.self, from: Self.replacing(["tags"], with: ["0": 1]))
        }
        #expect(throws: BSONError.typeMismatch(expected: "objectID", found: "string", path: "")) {
            try decoder.decode(BSONObjectID.self, from: "507f1f77bcf86cd799439011")
        }
    }

    @Test func invalidRawValueNamesThePath() {
        #expect {
            try decoder.decode(Catalog.self, from: Self.replacing(["status"], with: "bogus"))
        } throws: { error in
            guard case .invalidValue(let reason, let path)? = error as? BSONError else { return false }
            return path == "status" && reason.contains("bogus")
        }
    }

    @Test func invalidURL() {
        #expect(throws: BSONError.invalidValue("'' is not a valid URL", path: "")) {
            try decoder.decode(URL.self, from: "")
        }
    }

    @Test func arrayTooShortNamesTheIndex() {
        struct Pair: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                _ = try container.decode(Int.self)
                _ = try container.decode(Int.self)
            }
        }
        #expect(throws: BSONError.keyNotFound("[1]", path: "[1]")) {
            try decoder.decode(Pair.self, from: [1])
        }
    }

    @Test func topLevelMustBeADocument() {
        #expect {
            try encoder.encode([1, 2])
        } throws: { error in
            guard case .invalidValue(let reason, "")? = error as? BSONError else { return false }
            return reason.contains("document")
        }
    }

    @Test func keysWithNULAreRejected() {
        #expect(throws: BSONError.invalidValue("document keys cannot contain NUL", path: "outer.a\u{0}b")) {
            try encoder.encode(["outer": ["a\u{0}b": 1]])
        }
    }

    @Test func unrepresentableDateIsRejected() {
        #expect(throws: BSONError.self) {
            try encoder.encode(["at": Date(timeIntervalSince1970: .infinity)])
        }
    }

    @Test func errorsAreDescriptive() {
        #expect(BSONError.keyNotFound("a", path: "x.a").description == "key 'a' not found at x.a")
        #expect(BSONError.unsupportedType(0x13, key: "price").description
            == "unsupported BSON type 0x13 (decimal128) for key 'price'")
        #expect(BSONError.valueOutOfRange(value: "300", type: "UInt8", path: "").description
            == "value 300 out of range for UInt8 at top level")
        #expect(BSONError.malformed("x").localizedDescription == "malformed BSON: x")
    }
}
