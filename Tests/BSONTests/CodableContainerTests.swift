import BSON
import Foundation
import Testing

@Suite("Codable containers")
struct CodableContainerTests {
    let encoder = BSONEncoder()
    let decoder = BSONDecoder()

    @Test func superEncoderStoresTheSuperclassUnderSuper() throws {
        let document = try encoder.encode(Dog(name: "Rex", breed: "collie"))
        #expect(document == ["breed": "collie", "super": ["name": "Rex"]])
        let dog = try decoder.decode(Dog.self, from: document)
        #expect(dog.name == "Rex")
        #expect(dog.breed == "collie")
    }

    @Test func superEncoderForKeyAndInUnkeyedContainers() throws {
        let wrapped = Wrapped(inner: Tag(name: "i", weight: 1), list: [Tag(name: "l", weight: 2)])
        let document = try encoder.encode(wrapped)
        #expect(document == ["inner": ["name": "i", "weight": 1.0], "list": [["name": "l", "weight": 2.0]]])
        #expect(try decoder.decode(Wrapped.self, from: document) == wrapped)
    }

    @Test func unusedSuperEncoderIsAnEmptyDocument() throws {
        struct Lazy: Encodable {
            enum Key: CodingKey { case unused }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                _ = container.superEncoder(forKey: .unused)
            }
        }
        #expect(try encoder.encode(Lazy()) == ["unused": [:]])
    }

    @Test func superDecoderForAbsentKeyIsNull() throws {
        struct Reader: Decodable {
            var wasNull: Bool
            enum Key: CodingKey { case missing }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                wasNull = try container.superDecoder(forKey: .missing).singleValueContainer().decodeNil()
            }
        }
        #expect(try decoder.decode(Reader.self, from: [:]).wasNull)
    }

    @Test func nestedContainersRoundTrip() throws {
        let location = Location(lat: 1.5, lon: -2.25, history: [1, 2], pairs: [["a", "b"], ["c", "d"]])
        let document = try encoder.encode(location)
        let expected: BSONDocument = [
            "position": ["lat": 1.5, "lon": -2.25],
            "history": [.int32(1), .int32(2)],
            "pairs": [[["first": "a"], "b"], [["first": "c"], "d"]],
        ]
        #expect(document == expected)
        #expect(try decoder.decode(Location.self, from: document) == location)
    }

    @Test func encodingAKeyTwiceReplacesItInPlace() throws {
        struct Twice: Encodable {
            enum Key: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(Tag(name: "first", weight: 1), forKey: .a)
                try container.encode(1, forKey: .b)
                try container.encode(Meters(2), forKey: .a)
            }
        }
        #expect(try encoder.encode(Twice()) == ["a": 2.0, "b": 1])
    }

    @Test func repeatedContainerRequestsShareStorage() throws {
        struct Split: Encodable {
            enum Key: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var first = encoder.container(keyedBy: Key.self)
                try first.encode("x", forKey: .a)
                var second = encoder.container(keyedBy: Key.self)
                try second.encode("y", forKey: .b)
            }
        }
        #expect(try encoder.encode(Split()) == ["a": "x", "b": "y"])
    }

    @Test func unkeyedDecodeNilOnlyConsumesNull() throws {
        struct Reader: Decodable {
            var log: [String] = []
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                #expect(container.count == 3)
                while !container.isAtEnd {
                    if try container.decodeNil() {
                        log.append("nil")
                    } else {
                        log.append(String(try container.decode(Int.self)))
                    }
                }
                #expect(container.currentIndex == 3)
            }
        }
        #expect(try decoder.decode(Reader.self, from: [1, .null, 3]).log == ["1", "nil", "3"])
    }

    @Test func allKeysAreInDocumentOrder() throws {
        struct Keys: Decodable {
            var keys: [String]
            init(from decoder: any Decoder) throws {
                keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            }
        }
        #expect(try decoder.decode(Keys.self, from: ["z": 1, "a": 2, "m": 3]).keys == ["z", "a", "m"])
    }

    @Test func userInfoReachesCodableImplementations() throws {
        let key = try #require(CodingUserInfoKey(rawValue: "tenant"))
        struct Tenant: Codable {
            static let key = CodingUserInfoKey(rawValue: "tenant")!
            var name: String
            init(name: String) { self.name = name }
            init(from decoder: any Decoder) throws { name = decoder.userInfo[Self.key] as? String ?? "" }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(encoder.userInfo[Self.key] as? String ?? "")
            }
        }
        var encoder = BSONEncoder()
        encoder.userInfo[key] = "acme"
        var decoder = BSONDecoder()
        decoder.userInfo[key] = "globex"
        #expect(try encoder.encodeValue(Tenant(name: "ignored")) == "acme")
        #expect(try decoder.decode(Tenant.self, from: .null).name == "globex")
    }

    @Test func bsonTypesWorkWithOtherCoders() throws {
        let document: BSONDocument = ["a": 1, "b": "x", "c": [true, .null, 2.5], "d": ["e": .int32(3)]]
        let json = try JSONEncoder().encode(document)
        let decoded = try JSONDecoder().decode(BSONDocument.self, from: json)
        #expect(decoded["a"] == 1)
        #expect(decoded["b"] == "x")
        #expect(decoded["c"] == [true, .null, 2.5])
        #expect(decoded["d"] == ["e": 3])
    }

    @Test func encodersAreSendable() async throws {
        let encoder = BSONEncoder()
        let decoder = BSONDecoder()
        let results = try await withThrowingTaskGroup(of: Tag.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let tag = Tag(name: "t\(index)", weight: Double(index))
                    return try decoder.decode(Tag.self, from: encoder.encode(tag))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
