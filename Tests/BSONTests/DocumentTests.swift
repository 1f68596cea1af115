import BSON
import Testing

@Suite("BSONDocument")
struct DocumentTests {
    @Test func subscriptSetReplacesInPlace() {
        var document: BSONDocument = ["a": 1, "b": 2, "c": 3]
        document["b"] = "two"
        #expect(document.keys == ["a", "b", "c"])
        #expect(document["b"] == "two")
        #expect(document.count == 3)
    }

    @Test func subscriptSetAppendsNewKeys() {
        var document = BSONDocument()
        #expect(document.isEmpty)
        document["z"] = 1
        document["a"] = 2
        #expect(document.keys == ["z", "a"])
        #expect(!document.isEmpty)
    }

    @Test func settingNilRemoves() {
        var document: BSONDocument = ["a": 1, "b": 2, "c": 3]
        document["b"] = nil
        document["missing"] = nil
        #expect(document.keys == ["a", "c"])
        #expect(document["b"] == nil)
    }

    @Test func nullIsAValueNotAbsence() {
        let document: BSONDocument = ["gone": .null]
        #expect(document["gone"] == .null)
        #expect(document.containsKey("gone"))
        #expect(!document.containsKey("other"))
    }

    @Test func appendKeepsKeysUnique() {
        var document = BSONDocument()
        document.append("a", 1)
        document.append("b", 2)
        document.append("a", 3)
        #expect(document.keys == ["a", "b"])
        #expect(document["a"] == 3)
    }

    @Test func duplicatePairsReplaceEarlierValue() {
        let document = BSONDocument([("a", 1), ("b", 2), ("a", 3)])
        #expect(document.keys == ["a", "b"])
        #expect(document["a"] == 3)
    }

    @Test func equalityIsOrderSensitive() {
        let ab: BSONDocument = ["a": 1, "b": 2]
        #expect(ab == ["a": 1, "b": 2])
        #expect(ab != ["b": 2, "a": 1])
        #expect(ab != ["a": 1])
        #expect(ab != ["a": .int32(1), "b": 2])
    }

    @Test func iteratesInOrder() {
        let document: BSONDocument = ["x": 1, "y": "two", "z": true]
        let pairs = document.map { "\($0.key)=\($0.value)" }
        #expect(pairs == ["x=NumberLong(1)", "y=\"two\"", "z=true"])
        var keys: [String] = []
        for (key, _) in document { keys.append(key) }
        #expect(keys == ["x", "y", "z"])
        #expect(document.values == [1, "two", true])
    }

    @Test func filterLiteralCompiles() {
        let cursor = "abc"
        let filter: BSONDocument = ["_id": ["$gt": .string(cursor)], "n": 5, "tags": ["a", "b"], "on": true, "r": 0.5]
        #expect(filter["_id"] == .document(["$gt": "abc"]))
        #expect(filter["n"] == .int64(5))
        #expect(filter["tags"] == .array([.string("a"), .string("b")]))
        #expect(filter["on"] == .bool(true))
        #expect(filter["r"] == .double(0.5))
    }

    /// Large documents switch to a hashed index; behaviour must not change across the threshold.
    @Test("large documents behave like small ones", arguments: [5, 16, 17, 40, 1_000])
    func largeDocuments(count: Int) throws {
        var document = BSONDocument()
        for index in 0..<count {
            document["k\(index)"] = .int64(Int64(index))
        }
        #expect(document.count == count)
        #expect(document["k\(count - 1)"] == .int64(Int64(count - 1)))
        document["k0"] = "replaced"
        #expect(document.keys.first == "k0")
        #expect(document["k0"] == "replaced")
        document["k1"] = nil
        #expect(document["k1"] == nil)
        #expect(document.count == count - 1)
        #expect(document["k\(count - 1)"] == .int64(Int64(count - 1)))
        document["k1"] = 1
        #expect(document.keys.last == "k1")
        #expect(document.removeValue(forKey: "k2") == .int64(2))
        #expect(document.count == count - 1)
        for index in 3..<count {
            #expect(document["k\(index)"] == .int64(Int64(index)))
        }
        #expect(try BSONDocument(bytes: document.bytes()) == document)
    }

    @Test func duplicateKeysInLargeBinaryAreRejected() {
        var bytes: [UInt8] = []
        for index in 0..<30 {
            bytes += [0x0A] + Array("k\(index % 25)".utf8) + [0]
        }
        let document = littleEndian(Int32(bytes.count + 5)) + bytes + [0]
        #expect(throws: BSONError.self) { try BSONDocument(bytes: document) }
    }

    @Test func keysWithNULAreTruncatedWhenSerialized() throws {
        let document: BSONDocument = ["a\u{0}b": 1]
        #expect(try BSONDocument(bytes: document.bytes()) == ["a": 1])
    }

    @Test func descriptionIsReadable() {
        let document: BSONDocument = ["s": "q\"uote", "i": .int32(1), "l": 2, "a": [.null, 1.5]]
        #expect(document.description == #"{"s": "q\"uote", "i": 1, "l": NumberLong(2), "a": [null, 1.5]}"#)
    }
}
