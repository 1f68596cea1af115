import BSON
import Foundation
import MongoDB

/// Entities in MongoDB. `_id` is "mediaType/id", so each catalog ID is unique within its media type,
/// reads by key hit the primary index, and listing in key order is a range scan.
public struct EntityRepository: Sendable {
    public static let collectionName = "entities"
    let collection: MongoCollection

    public init(database: MongoDatabase) {
        collection = database.collection(Self.collectionName)
    }

    /// The indexes every query here runs on; creating them again is harmless.
    public func ensureIndexes() async throws {
        try await collection.createIndexes([
            .init(name: "status_id", keys: ["status": 1, "_id": 1]),
            .init(name: "coverImage_id", keys: ["coverImage.id": 1]),
        ])
    }

    static func documentID(_ key: EntityKey) -> String { key.description }

    static let draftFields = ["title", "isbn", "barcode", "imageUrl", "authors", "artist", "platform", "year"]

    /// The update that makes a stored entity say what `draft` says, creating it if needed and
    /// leaving Enricher's own findings (`coverImage`, `imageLookup`) as they are.
    static func upsertUpdate(_ key: EntityKey, _ draft: EntityDraft, now: Date) throws -> BSONDocument {
        let full = try BSONEncoder().encode(Entity(key: key, draft: draft, createdAt: now, updatedAt: now))
        var set: BSONDocument = ["mediaType": .string(key.mediaType.rawValue), "id": .string(key.id), "updatedAt": .date(now)]
        var unset = BSONDocument()
        for field in draftFields {
            if let value = full[field] { set[field] = value } else { unset[field] = "" }
        }
        var update: BSONDocument = [
            "$set": .document(set),
            "$setOnInsert": [
                "createdAt": .date(now),
                "status": .string(EntityStatus.missing.rawValue),
                "coverImage": .null,
                "imageLookup": .null,
            ],
        ]
        if !unset.isEmpty { update["$unset"] = .document(unset) }
        return update
    }

    /// Creates or replaces the catalog's fields of one entity. Returns the stored entity and whether it was new.
    public func upsert(_ key: EntityKey, _ draft: EntityDraft, now: Date = Date()) async throws -> (entity: Entity, created: Bool) {
        let filter: BSONDocument = ["_id": .string(Self.documentID(key))]
        let update = try Self.upsertUpdate(key, draft, now: now)
        let result: MongoCollection.UpdateResult
        do {
            result = try await collection.updateOne(filter, update, upsert: true)
        } catch MongoError.duplicateKey {
            // Two upserts of a new key raced and the other inserted first: now it exists, so update it.
            result = try await collection.updateOne(filter, update, upsert: true)
        }
        guard let entity = try await get(key) else {
            // Deleted between our write and our read: report what we wrote.
            return (Entity(key: key, draft: draft, createdAt: now, updatedAt: now), result.upsertedID != nil)
        }
        return (entity, result.upsertedID != nil)
    }

    /// What happened to one entity of a batch.
    public enum BatchOutcome: Sendable, Equatable {
        case created, replaced
        case failed(String)
    }

    /// Upserts many entities in one bulk request; one failure does not stop the others.
    public func upsertMany(_ items: [(key: EntityKey, draft: EntityDraft)], now: Date = Date()) async throws -> [BatchOutcome] {
        let models = try items.map { item in
            MongoCollection.WriteModel.updateOne(
                filter: ["_id": .string(Self.documentID(item.key))],
                update: try Self.upsertUpdate(item.key, item.draft, now: now),
                upsert: true
            )
        }
        let result = try await collection.bulkWrite(models)
        var outcomes: [BatchOutcome] = []
        outcomes.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if result.upsertedIDs[index] != nil {
                outcomes.append(.created)
            } else if let error = result.writeErrors[index] {
                if case .duplicateKey = error {
                    // Lost an insert race with another writer: the entity exists now, so replace it.
                    let (_, created) = try await upsert(item.key, item.draft, now: now)
                    outcomes.append(created ? .created : .replaced)
                } else {
                    outcomes.append(.failed(error.description))
                }
            } else {
                outcomes.append(.replaced)
            }
        }
        return outcomes
    }

    public func get(_ key: EntityKey) async throws -> Entity? {
        guard let document = try await collection.findOne(["_id": .string(Self.documentID(key))]) else { return nil }
        return try decode(document)
    }

    /// Deletes one entity; false when there was none.
    public func delete(_ key: EntityKey) async throws -> Bool {
        try await collection.deleteOne(["_id": .string(Self.documentID(key))]) == 1
    }

    /// One page of entities in key order, starting after `cursor`.
    public func list(mediaType: MediaType?, status: EntityStatus?, after cursor: EntityCursor?, limit: Int) async throws -> (entities: [Entity], next: EntityCursor?) {
        var range = BSONDocument()
        if let mediaType {
            // Every _id of a media type starts with "type/"; "0" is the character after "/".
            range["$gte"] = .string("\(mediaType.rawValue)/")
            range["$lt"] = .string("\(mediaType.rawValue)0")
        }
        if let cursor { range["$gt"] = .string(cursor.lastID) }
        var filter = BSONDocument()
        if !range.isEmpty { filter["_id"] = .document(range) }
        if let status { filter["status"] = .string(status.rawValue) }
        let documents = try await collection.find(filter, options: .init(sort: ["_id": 1], limit: limit + 1))
        let page = documents.prefix(limit)
        let entities = try page.map(decode)
        let next = documents.count > limit ? page.last?["_id"]?.stringValue.map(EntityCursor.init(lastID:)) : nil
        return (entities, next)
    }

    func decode(_ document: BSONDocument) throws -> Entity {
        try collection.decode(Entity.self, from: document)
    }
}

/// Where a listing stopped: the last `_id` returned, carried to the client as an opaque token.
public struct EntityCursor: Sendable, Equatable {
    public let lastID: String

    public init(lastID: String) { self.lastID = lastID }

    /// base64url of the last `_id`.
    public var token: String {
        Data(lastID.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        guard !token.isEmpty, token.count <= 400,
              token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let lastID = String(data: data, encoding: .utf8),
              let key = EntityKey(documentID: lastID), EntityKey.isValidID(key.id) else { return nil }
        self.lastID = lastID
    }
}

public enum StorageError: Error, Sendable, CustomStringConvertible {
    /// A stored document does not read as its collection's type (or is missing a part it must have).
    case corruptDocument(collection: String, id: String, reason: String)

    public var description: String {
        switch self {
        case .corruptDocument(let collection, let id, let reason): "stored document \(id) in \(collection) could not be read: \(reason)"
        }
    }
}

extension EntityRepository {
    /// Records the outcome of a lookup: the cover (or none) and the lookup record, with the status they imply.
    /// `nil` for both leaves the entity unmarked (for example when every provider throttled).
    /// With `fence`, the write lands only while the entity's lookup fence is that token (set by
    /// `fenceLookup` when a task's work started), and clears it; otherwise it throws `LookupFenced`.
    public func recordLookup(_ key: EntityKey, coverImage: CoverImage?, imageLookup: ImageLookup?, fence: String? = nil) async throws {
        let encoder = BSONEncoder()
        let status = EntityStatus(coverImage: coverImage, imageLookup: imageLookup)
        let set: BSONDocument = [
            "coverImage": try coverImage.map { .document(try encoder.encode($0)) } ?? .null,
            "imageLookup": try imageLookup.map { .document(try encoder.encode($0)) } ?? .null,
            "status": .string(status.rawValue),
        ]
        var filter: BSONDocument = ["_id": .string(Self.documentID(key))]
        var update: BSONDocument = ["$set": .document(set)]
        if let fence {
            filter[Self.fenceField] = .string(fence)
            update["$unset"] = [Self.fenceField: "", Self.fenceUntilField: ""]
        }
        let result = try await collection.updateOne(filter, update)
        if fence != nil, result.matchedCount == 0 { throw LookupFenced(key: key) }
    }

    /// Who may look the entity up now.
    public enum Fence: Sendable, Equatable {
        /// `token` holds it: only its `recordLookup` lands, until it records or `until` passes.
        case taken
        /// Another claim (`token`) holds it and has not run out: its lookup is running.
        case heldByOther(token: String)
        /// There is no such entity.
        case noEntity
    }

    /// Makes `token` (a task's claim) the only one whose `recordLookup` lands on the entity, until it
    /// records or `until` passes (renew it with the claim's lease): a worker whose lease ran out, and
    /// whose task another worker took, records nothing; and a second job's task finds the lookup running.
    public func fenceLookup(_ key: EntityKey, token: String, until: Date, now: Date = Date()) async throws -> Fence {
        let id = BSONValue.string(Self.documentID(key))
        let result = try await collection.updateOne(
            ["_id": id, "$or": [[Self.fenceField: ["$exists": false]], [Self.fenceField: .string(token)], [Self.fenceUntilField: ["$lt": .date(now)]]]],
            ["$set": [Self.fenceField: .string(token), Self.fenceUntilField: .date(until)]])
        if result.matchedCount == 1 { return .taken }
        guard let document = try await collection.findOne(["_id": id], projection: [Self.fenceField: 1]) else { return .noEntity }
        return .heldByOther(token: document[Self.fenceField]?.stringValue ?? "")
    }

    /// Lets go of a fence `token` holds (a claim that ended without recording); nothing when it does not.
    @discardableResult
    public func releaseFence(_ key: EntityKey, token: String) async throws -> Bool {
        try await collection.updateOne(["_id": .string(Self.documentID(key)), Self.fenceField: .string(token)],
                                       ["$unset": [Self.fenceField: "", Self.fenceUntilField: ""]]).matchedCount == 1
    }

    /// Extends a fence `token` holds; false when it no longer does.
    public func renewFence(_ key: EntityKey, token: String, until: Date) async throws -> Bool {
        try await collection.updateOne(["_id": .string(Self.documentID(key)), Self.fenceField: .string(token)],
                                       ["$set": [Self.fenceUntilField: .date(until)]]).matchedCount == 1
    }

    /// The field holding the claim token allowed to record the entity's lookup, and when it runs out.
    static let fenceField = "lookupFence"
    static let fenceUntilField = "lookupFenceUntil"

    /// Whether any entity shows the stored cover `id`.
    public func usesCover(_ id: String) async throws -> Bool {
        try await collection.findOne(["coverImage.id": .string(id)], projection: ["_id": 1]) != nil
    }

    /// The entities among `keys` that exist, by key.
    public func get(_ keys: [EntityKey]) async throws -> [EntityKey: Entity] {
        guard !keys.isEmpty else { return [:] }
        let ids = keys.map { BSONValue.string(Self.documentID($0)) }
        let documents = try await collection.find(["_id": ["$in": .array(ids)]])
        var found: [EntityKey: Entity] = [:]
        for document in documents {
            let entity = try decode(document)
            found[entity.key] = entity
        }
        return found
    }
}

extension EntityRepository {
    /// The entities of `mediaType` a scan may take, on the `status_id` index: never looked up and without a
    /// cover (`missing`), and with `includingFailed` also those whose lookup failed (not permanent ones).
    static func awaitingLookupFilter(_ mediaType: MediaType, includingFailed: Bool) -> BSONDocument {
        let statuses: [EntityStatus] = includingFailed ? [.missing, .failed] : [.missing]
        return [
            "status": ["$in": .array(statuses.map { .string($0.rawValue) })],
            "_id": ["$gte": .string("\(mediaType.rawValue)/"), "$lt": .string("\(mediaType.rawValue)0")],
        ]
    }

    /// How many entities of `mediaType` await a lookup.
    public func countAwaitingLookup(_ mediaType: MediaType, includingFailed: Bool) async throws -> Int {
        try await collection.countDocuments(Self.awaitingLookupFilter(mediaType, includingFailed: includingFailed))
    }

    /// Up to `limit` of them, in key order.
    public func awaitingLookup(_ mediaType: MediaType, includingFailed: Bool, limit: Int) async throws -> [EntityKey] {
        guard limit > 0 else { return [] }
        let documents = try await collection.find(Self.awaitingLookupFilter(mediaType, includingFailed: includingFailed),
                                                  options: .init(sort: ["_id": 1], limit: limit, projection: ["_id": 1]))
        return documents.compactMap { $0["_id"]?.stringValue.flatMap(EntityKey.init(documentID:)) }
    }
}

/// The entity's lookup was fenced off: another claim of its task started since this one did, so this
/// one's outcome is not recorded.
public struct LookupFenced: Error, Sendable, CustomStringConvertible {
    public let key: EntityKey
    public var description: String { "the lookup of \(key) belongs to a later claim (or the entity is gone)" }
}
