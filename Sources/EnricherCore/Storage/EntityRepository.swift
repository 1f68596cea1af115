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
            .init(name: "status_retryAt", keys: ["status": 1, "imageLookup.retryAt": 1]),
        ])
    }

    static func documentID(_ key: EntityKey) -> String { key.description }

    static let draftFields = ["title", "isbn", "barcode", "imageUrl", "authors", "artist", "platform", "year", "existingCover"]

    /// What a catalog write did to the entity's last lookup: a field the lookup depends on changed while
    /// that lookup had found no cover (notFound, failed or permanent), so it was cleared.
    public struct LookupReset: Sendable, Equatable {
        /// The fields that changed, as the API names them (`isbn`, `barcode`, `title`, `year`, `imageUrl`).
        public var changed: [String]
        /// The lookup that was cleared.
        public var previous: ImageLookup
        /// The entity awaits a lookup now (`missing`); false when the catalog has its own cover (`present`).
        public var awaitsLookup: Bool
    }

    /// One entity as a catalog write left it.
    public struct Upserted: Sendable {
        public var entity: Entity
        public var created: Bool
        public var lookupReset: LookupReset?
    }

    /// A catalog write planned from what is stored.
    struct CatalogWrite {
        var filter: BSONDocument
        var update: BSONDocument
        /// It lands only while the entity's cover and lookup are as read: it sets the status or clears the
        /// lookup, and a lookup recorded in between must not be overwritten with a status from before it.
        var conditional: Bool
        var reset: LookupReset?
    }

    /// The write that makes a stored entity (`existing`, nil when there is none) say what `draft` says,
    /// creating it if needed. Enricher's own findings (`coverImage`, `imageLookup`) are kept, except that
    /// a lookup that found no cover is cleared when a field it depends on changed; a found cover is kept
    /// whatever changes. The stored status follows the catalog's `existingCover`.
    static func catalogWrite(_ key: EntityKey, _ draft: EntityDraft, over existing: Entity?, now: Date) throws -> CatalogWrite {
        let full = try BSONEncoder().encode(Entity(key: key, draft: draft, createdAt: now, updatedAt: now))
        var set: BSONDocument = ["mediaType": .string(key.mediaType.rawValue), "id": .string(key.id), "updatedAt": .date(now)]
        var unset = BSONDocument()
        for field in draftFields {
            if let value = full[field] { set[field] = value } else { unset[field] = "" }
        }
        var filter: BSONDocument = ["_id": .string(Self.documentID(key))]
        var update = BSONDocument()
        var conditional = false
        var reset: LookupReset?
        if let existing {
            var lookup = existing.imageLookup
            let changed = draft.lookupChanges(from: existing.draft)
            if let previous = existing.imageLookup, existing.coverImage == nil, !changed.isEmpty {
                lookup = nil
                set["imageLookup"] = .null
                reset = LookupReset(changed: changed, previous: previous, awaitsLookup: draft.existingCover == nil)
            }
            let status = EntityStatus(coverImage: existing.coverImage, existingCover: draft.existingCover != nil, imageLookup: lookup)
            if reset != nil || status != existing.status {
                set["status"] = .string(status.rawValue)
                conditional = true
                filter["coverImage.id"] = existing.coverImage.map { .string($0.id) } ?? .null
                filter["imageLookup.lookupAttemptedAt"] = existing.imageLookup.map { .date($0.lookupAttemptedAt) } ?? .null
            }
        } else {
            let status = EntityStatus(coverImage: nil, existingCover: draft.existingCover != nil, imageLookup: nil)
            update["$setOnInsert"] = [
                "createdAt": .date(now),
                "status": .string(status.rawValue),
                "coverImage": .null,
                "imageLookup": .null,
            ]
        }
        update["$set"] = .document(set)
        if !unset.isEmpty { update["$unset"] = .document(unset) }
        return CatalogWrite(filter: filter, update: update, conditional: conditional, reset: reset)
    }

    /// How often a catalog write reads the entity again because a lookup or another write changed it meanwhile.
    static let writeRounds = 8

    /// Creates or replaces the catalog's fields of one entity. Returns the stored entity, whether it was
    /// new, and whether its finished lookup was cleared.
    public func upsert(_ key: EntityKey, _ draft: EntityDraft, now: Date = Date()) async throws -> Upserted {
        for _ in 0..<Self.writeRounds {
            let existing = try await get(key)
            let write = try Self.catalogWrite(key, draft, over: existing, now: now)
            let result: MongoCollection.UpdateResult
            do {
                // A conditional write never inserts: when the entity is gone, the next round creates it.
                result = try await collection.updateOne(write.filter, write.update, upsert: !write.conditional)
            } catch MongoError.duplicateKey {
                continue // two upserts of a new key raced and the other inserted first: read it and update it
            }
            if write.conditional && result.matchedCount == 0 { continue } // a lookup was recorded meanwhile
            if existing == nil && result.upsertedID == nil { continue } // created meanwhile: its status is settled next round
            let stored = try await get(key) ?? Entity(key: key, draft: draft, createdAt: now, updatedAt: now) // deleted since: what we wrote
            return Upserted(entity: stored, created: result.upsertedID != nil, lookupReset: write.reset)
        }
        throw StorageError.corruptDocument(collection: Self.collectionName, id: Self.documentID(key),
                                           reason: "the entity kept changing while it was written (\(Self.writeRounds) rounds)")
    }

    /// What happened to one entity of a batch.
    public enum BatchOutcome: Sendable, Equatable {
        case created
        /// Replaced, with its finished lookup cleared when a field it depends on changed.
        case replaced(LookupReset?)
        case failed(String)
    }

    /// Upserts many entities in one bulk request; one failure does not stop the others. Entities whose
    /// status or lookup the write changes are written one by one, each on the condition that no lookup
    /// was recorded since it was read.
    public func upsertMany(_ items: [(key: EntityKey, draft: EntityDraft)], now: Date = Date()) async throws -> [BatchOutcome] {
        let stored = try await get(items.map(\.key))
        let writes = try items.map { try Self.catalogWrite($0.key, $0.draft, over: stored[$0.key], now: now) }
        let bulk = writes.indices.filter { !writes[$0].conditional }
        let models = bulk.map { MongoCollection.WriteModel.updateOne(filter: writes[$0].filter, update: writes[$0].update, upsert: true) }
        let result = models.isEmpty ? nil : try await collection.bulkWrite(models)
        var outcomes = [BatchOutcome?](repeating: nil, count: items.count)
        for (position, index) in bulk.enumerated() {
            if result?.upsertedIDs[position] != nil {
                outcomes[index] = .created
            } else if let error = result?.writeErrors[position] {
                if case .duplicateKey = error { continue } // lost an insert race: written one by one below
                outcomes[index] = .failed(error.description)
            } else if stored[items[index].key] != nil {
                outcomes[index] = .replaced(nil)
            } // else created by another writer meanwhile: its status is settled one by one below
        }
        for index in items.indices where outcomes[index] == nil {
            let upserted = try await upsert(items[index].key, items[index].draft, now: now)
            outcomes[index] = upserted.created ? .created : .replaced(upserted.lookupReset)
        }
        return outcomes.map { $0 ?? .failed("not written") }
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
    /// `existingCover`: whether the entity, as the caller read it, says the catalog has a cover; should the
    /// catalog have changed that since, the status follows what is stored.
    /// With `fence`, the write lands only while the entity's lookup fence is that token (set by
    /// `fenceLookup` when a task's work started), and clears it; otherwise it throws `LookupFenced`.
    public func recordLookup(_ key: EntityKey, coverImage: CoverImage?, imageLookup: ImageLookup?, existingCover: Bool,
                             fence: String? = nil) async throws {
        let encoder = BSONEncoder()
        for catalogHasCover in [existingCover, !existingCover] {
            let status = EntityStatus(coverImage: coverImage, existingCover: catalogHasCover, imageLookup: imageLookup)
            let set: BSONDocument = [
                "coverImage": try coverImage.map { .document(try encoder.encode($0)) } ?? .null,
                "imageLookup": try imageLookup.map { .document(try encoder.encode($0)) } ?? .null,
                "status": .string(status.rawValue),
            ]
            var filter: BSONDocument = ["_id": .string(Self.documentID(key)), "existingCover": ["$exists": .bool(catalogHasCover)]]
            var update: BSONDocument = ["$set": .document(set)]
            if let fence {
                filter[Self.fenceField] = .string(fence)
                update["$unset"] = [Self.fenceField: "", Self.fenceUntilField: "", Self.fenceTaskField: ""]
            }
            if try await collection.updateOne(filter, update).matchedCount > 0 { return }
        }
        if fence != nil { throw LookupFenced(key: key) }
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
    ///
    /// `task`: the task the claim is of. A fence an earlier claim of the same task holds is taken over at
    /// once: that claim's lease ran out (which is why the task was claimed again), though its fence, set
    /// a moment after its claim, may not have yet.
    public func fenceLookup(_ key: EntityKey, token: String, task: String, until: Date, now: Date = Date()) async throws -> Fence {
        let id = BSONValue.string(Self.documentID(key))
        let free: BSONValue = [
            [Self.fenceField: ["$exists": false]], [Self.fenceField: .string(token)], [Self.fenceTaskField: .string(task)],
            [Self.fenceUntilField: ["$lt": .date(now)]],
        ]
        let result = try await collection.updateOne(
            ["_id": id, "$or": free],
            ["$set": [Self.fenceField: .string(token), Self.fenceTaskField: .string(task), Self.fenceUntilField: .date(until)]])
        if result.matchedCount == 1 { return .taken }
        guard let document = try await collection.findOne(["_id": id], projection: [Self.fenceField: 1]) else { return .noEntity }
        return .heldByOther(token: document[Self.fenceField]?.stringValue ?? "")
    }

    /// Lets go of a fence `token` holds (a claim that ended without recording); nothing when it does not.
    @discardableResult
    public func releaseFence(_ key: EntityKey, token: String) async throws -> Bool {
        try await collection.updateOne(["_id": .string(Self.documentID(key)), Self.fenceField: .string(token)],
                                       ["$unset": [Self.fenceField: "", Self.fenceUntilField: "", Self.fenceTaskField: ""]]).matchedCount == 1
    }

    /// Extends a fence `token` holds; false when it no longer does.
    public func renewFence(_ key: EntityKey, token: String, until: Date) async throws -> Bool {
        try await collection.updateOne(["_id": .string(Self.documentID(key)), Self.fenceField: .string(token)],
                                       ["$set": [Self.fenceUntilField: .date(until)]]).matchedCount == 1
    }

    /// The field holding the claim token allowed to record the entity's lookup, and when it runs out.
    static let fenceField = "lookupFence"
    static let fenceUntilField = "lookupFenceUntil"
    static let fenceTaskField = "lookupFenceTask"

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
    /// The `_id` range of one media type: every `_id` of it starts with "type/"; "0" is the character after "/".
    static func idRange(_ mediaType: MediaType) -> BSONValue {
        ["$gte": .string("\(mediaType.rawValue)/"), "$lt": .string("\(mediaType.rawValue)0")]
    }

    /// The entities of `mediaType` a scan takes first, on the `status_id` index: never looked up and
    /// without a cover (`missing`), and with `includingFailed` also every one whose lookup failed (not
    /// permanent ones, nor those whose catalog has a cover).
    static func awaitingLookupFilter(_ mediaType: MediaType, includingFailed: Bool) -> BSONDocument {
        let statuses: [EntityStatus] = includingFailed ? [.missing, .failed] : [.missing]
        return [
            "status": ["$in": .array(statuses.map { .string($0.rawValue) })],
            "_id": idRange(mediaType),
        ]
    }

    /// Then, unless every failed one is taken anyway, those whose lookup failed and is due again by the
    /// retry schedule at `now`, on the `status_retryAt` index.
    static func dueRetryFilter(_ mediaType: MediaType, now: Date) -> BSONDocument {
        [
            "status": .string(EntityStatus.failed.rawValue),
            "imageLookup.retryAt": ["$lte": .date(now)],
            "_id": idRange(mediaType),
        ]
    }

    /// How many entities of `mediaType` await a lookup at `now`.
    public func countAwaitingLookup(_ mediaType: MediaType, includingFailed: Bool, now: Date = Date()) async throws -> Int {
        let awaiting = try await collection.countDocuments(Self.awaitingLookupFilter(mediaType, includingFailed: includingFailed))
        guard !includingFailed else { return awaiting }
        return awaiting + (try await collection.countDocuments(Self.dueRetryFilter(mediaType, now: now)))
    }

    /// Up to `limit` of them: those never looked up in key order, then those due again, the longest due first.
    public func awaitingLookup(_ mediaType: MediaType, includingFailed: Bool, limit: Int, now: Date = Date()) async throws -> [EntityKey] {
        guard limit > 0 else { return [] }
        var documents = try await collection.find(Self.awaitingLookupFilter(mediaType, includingFailed: includingFailed),
                                                  options: .init(sort: ["_id": 1], limit: limit, projection: ["_id": 1]))
        if !includingFailed && documents.count < limit {
            documents += try await collection.find(Self.dueRetryFilter(mediaType, now: now),
                                                   options: .init(sort: ["imageLookup.retryAt": 1], limit: limit - documents.count, projection: ["_id": 1]))
        }
        return documents.compactMap { $0["_id"]?.stringValue.flatMap(EntityKey.init(documentID:)) }
    }
}

/// The entity's lookup was fenced off: another claim of its task started since this one did, so this
/// one's outcome is not recorded.
public struct LookupFenced: Error, Sendable, CustomStringConvertible {
    public let key: EntityKey
    public var description: String { "the lookup of \(key) belongs to a later claim (or the entity is gone)" }
}
