import BSON
import Foundation

/// Models shared by the Codable tests.

struct ImageLookup: Codable, Equatable {
    var lookupAttemptedAt: Date
    var url: URL?
    var attempts: Int
}

struct Tag: Codable, Equatable {
    var name: String
    var weight: Double
}

enum Status: String, Codable {
    case active, retired
}

enum Priority: Int, Codable {
    case low = 1, high = 2
}

enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case square(side: Int)
    case none
}

struct Product: Codable, Equatable {
    var id: BSONObjectID
    var name: String
    var createdAt: Date
    var imageLookup: ImageLookup
    var tags: [Tag]
    var nickname: String?
    var note: String?
    var big: Int64
    var small: Int32
    var smallMin: Int32
    var tiny: Int8
    var byte: UInt8
    var unsigned: UInt32
    var ratio: Float
    var status: Status
    var priority: Priority
    var shape: Shape
    var thumbnail: Data
    var counts: [String: Int]
    var matrix: [[Int]]
    var optionalInts: [Int?]
    var extra: BSONValue
    var raw: BSONDocument
    var homepage: URL

    static let sample = Product(
        id: BSONObjectID(hex: "507f1f77bcf86cd799439011")!,
        name: "Widget ✨",
        createdAt: Date(timeIntervalSince1970: 1_700_000_000.123),
        imageLookup: ImageLookup(
            lookupAttemptedAt: Date(timeIntervalSince1970: 1_700_000_100.5),
            url: URL(string: "https://example.com/a.png"), attempts: 2),
        tags: [Tag(name: "a", weight: 0.5), Tag(name: "b", weight: 2)],
        nickname: "wiggy",
        note: nil,
        big: .max,
        small: .max,
        smallMin: .min,
        tiny: -8,
        byte: 255,
        unsigned: .max,
        ratio: 0.1,
        status: .retired,
        priority: .high,
        shape: .circle(radius: 1.5),
        thumbnail: Data([0, 1, 2, 0xFF]),
        counts: ["x": 1, "y": 2],
        matrix: [[1, 2], [], [3]],
        optionalInts: [1, nil, 3],
        extra: ["any": [1, .null, "thing"]],
        raw: ["$set": ["n": .int32(1)]],
        homepage: URL(string: "https://example.com")!)
}

/// Writes `nil` explicitly with `encodeNil` instead of leaving the key out.
struct ExplicitNull: Codable, Equatable {
    var value: String?

    enum CodingKeys: String, CodingKey { case value }

    init(value: String?) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        value = try container.decodeIfPresent(String.self, forKey: .value)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let value {
            try container.encode(value, forKey: .value)
        } else {
            try container.encodeNil(forKey: .value)
        }
    }
}

/// Reports whether its field was absent, null, or present.
struct Presence: Decodable {
    enum State: Equatable { case absent, null, value(Int) }

    var state: State

    enum CodingKeys: String, CodingKey { case field }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if !container.contains(.field) {
            state = .absent
        } else if try container.decodeNil(forKey: .field) {
            state = .null
        } else {
            state = .value(try container.decode(Int.self, forKey: .field))
        }
    }
}

struct OptionalField: Codable, Equatable {
    var value: Int?
}

struct RequiredField: Codable, Equatable {
    var value: Int
}

/// A class hierarchy that encodes its superclass through `superEncoder()`.
class Animal: Codable {
    var name: String

    init(name: String) {
        self.name = name
    }
}

final class Dog: Animal {
    var breed: String

    enum CodingKeys: String, CodingKey { case breed, parent }

    init(name: String, breed: String) {
        self.breed = breed
        super.init(name: name)
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        breed = try container.decode(String.self, forKey: .breed)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(breed, forKey: .breed)
        try super.encode(to: container.superEncoder())
    }
}

/// Uses a named super-encoder key and super-encoders inside unkeyed containers.
struct Wrapped: Codable, Equatable {
    var inner: Tag
    var list: [Tag]

    enum CodingKeys: String, CodingKey { case inner, list }

    init(inner: Tag, list: [Tag]) {
        self.inner = inner
        self.list = list
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inner = try Tag(from: container.superDecoder(forKey: .inner))
        var unkeyed = try container.nestedUnkeyedContainer(forKey: .list)
        var list: [Tag] = []
        while !unkeyed.isAtEnd {
            list.append(try Tag(from: unkeyed.superDecoder()))
        }
        self.list = list
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try inner.encode(to: container.superEncoder(forKey: .inner))
        var unkeyed = container.nestedUnkeyedContainer(forKey: .list)
        for tag in list {
            try tag.encode(to: unkeyed.superEncoder())
        }
    }
}

/// Hand-written nested keyed and unkeyed containers, several levels deep.
struct Location: Codable, Equatable {
    var lat: Double
    var lon: Double
    var history: [Int32]
    var pairs: [[String]]

    enum Outer: String, CodingKey { case position, history, pairs }
    enum Inner: String, CodingKey { case lat, lon }
    enum PairKey: String, CodingKey { case first }

    init(lat: Double, lon: Double, history: [Int32], pairs: [[String]]) {
        (self.lat, self.lon, self.history, self.pairs) = (lat, lon, history, pairs)
    }

    init(from decoder: any Decoder) throws {
        let outer = try decoder.container(keyedBy: Outer.self)
        let position = try outer.nestedContainer(keyedBy: Inner.self, forKey: .position)
        lat = try position.decode(Double.self, forKey: .lat)
        lon = try position.decode(Double.self, forKey: .lon)
        var history = try outer.nestedUnkeyedContainer(forKey: .history)
        self.history = []
        while !history.isAtEnd {
            self.history.append(try history.decode(Int32.self))
        }
        var pairs = try outer.nestedUnkeyedContainer(forKey: .pairs)
        self.pairs = []
        while !pairs.isAtEnd {
            var pair = try pairs.nestedUnkeyedContainer()
            let first = try pair.nestedContainer(keyedBy: PairKey.self).decode(String.self, forKey: .first)
            let second = try pair.decode(String.self)
            self.pairs.append([first, second])
        }
    }

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Outer.self)
        var position = outer.nestedContainer(keyedBy: Inner.self, forKey: .position)
        try position.encode(lat, forKey: .lat)
        try position.encode(lon, forKey: .lon)
        var history = outer.nestedUnkeyedContainer(forKey: .history)
        for entry in self.history {
            try history.encode(entry)
        }
        var pairs = outer.nestedUnkeyedContainer(forKey: .pairs)
        for pair in self.pairs {
            var nested = pairs.nestedUnkeyedContainer()
            var first = nested.nestedContainer(keyedBy: PairKey.self)
            try first.encode(pair[0], forKey: .first)
            try nested.encode(pair[1])
        }
    }
}

/// A single-value wrapper type.
struct Meters: Codable, Equatable {
    var value: Double

    init(_ value: Double) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Double.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
