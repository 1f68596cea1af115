import BSON
import Foundation
import Logging
import MongoDB
import Testing

/// The MongoDB layer against the real server: Codable documents, typed errors, indexes.
@Suite("MongoDB layer", .serialized)
struct MongoLayerTests {
    struct Record: Codable, Equatable {
        struct Nested: Codable, Equatable {
            var label: String
            var tags: [String]
        }
        var _id: String
        var at: Date
        var big: Int64
        var nested: Nested
        var items: [Nested]
        var optional: String?
    }

    @discardableResult
    static func withDatabase<T>(_ body: (MongoDatabase) async throws -> T) async throws -> T {
        try await TestDatabase.with("mongo", body)
    }

    @Test("a Codable value round-trips through the server with dates as BSON dates, 64-bit ints, nesting, and absent optionals")
    func codableRoundTrip() async throws {
        try await Self.withDatabase { database in
            let records = database.collection("records")
            let record = Record(_id: "r1", at: Date(timeIntervalSince1970: 1_732_000_000.123), big: Int64.max - 1,
                                nested: .init(label: "n", tags: ["a", "b"]), items: [.init(label: "x", tags: [])], optional: nil)
            try await records.insertOne(try BSONEncoder().encode(record))
            let stored = try #require(try await records.findOne(["_id": "r1"]))
            #expect(try BSONDecoder().decode(Record.self, from: stored) == record)
            #expect(!stored.keys.contains("optional"), "nil is stored as an absent field")
            // The server itself sees the types: queries by BSON type find the document.
            #expect(try await records.countDocuments(["at": ["$type": "date"]]) == 1)
            #expect(try await records.countDocuments(["big": ["$type": "long"]]) == 1)
            #expect(try await records.countDocuments(["nested.tags": "b"]) == 1)

            try await records.updateOne(["_id": "r1"], ["$set": ["optional": .null]])
            let withNull = try #require(try await records.findOne(["_id": "r1"]))
            #expect(withNull["optional"] == .null, "null is kept apart from absent")
            #expect(try BSONDecoder().decode(Record.self, from: withNull).optional == nil)
        }
    }

    @Test("a duplicate key is a typed error; bulk writes report it per item")
    func duplicateKey() async throws {
        try await Self.withDatabase { database in
            let items = database.collection("items")
            try await items.insertOne(["_id": "a"])
            await #expect {
                try await items.insertOne(["_id": "a"])
            } throws: { error in
                guard case MongoError.duplicateKey = error else { return false }
                return true
            }
            let result = try await items.bulkWrite([.insertOne(["_id": "b"]), .insertOne(["_id": "a"]), .insertOne(["_id": "c"])])
            #expect(result.insertedCount == 2)
            #expect(result.writeErrors.keys.sorted() == [1])
            #expect(try await items.countDocuments() == 3)
        }
    }

    @Test("a server error carries its code and message")
    func serverError() async throws {
        try await Self.withDatabase { database in
            await #expect {
                try await database.command(["noSuchCommand": 1])
            } throws: { error in
                guard case MongoError.server(let code, let message) = error else { return false }
                return code == 59 && message.contains("noSuchCommand")
            }
        }
    }

    @Test("creating the same indexes again is harmless")
    func indexesAreIdempotent() async throws {
        try await Self.withDatabase { database in
            let entities = database.collection("things")
            let index = MongoCollection.IndexModel(name: "status_id", keys: ["status": 1, "_id": 1])
            try await entities.createIndexes([index])
            try await entities.createIndexes([index])
            let listed = try await database.command(["listIndexes": "things"])
            let names = listed["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.compactMap { $0.documentValue?["name"]?.stringValue } ?? []
            #expect(Set(names) == ["_id_", "status_id"])
        }
    }
}
