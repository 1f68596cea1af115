import BSON
import EnricherCore
import Foundation
import MongoDB

/// Replays: recorded by the API, run page by page by a runner holding a lease.
extension WebhookStore {
    /// What asking for a replay did.
    public enum ReplayScheduling: Sendable, Equatable {
        case scheduled(WebhookReplay)
        /// The subscription has a replay scheduled or running: this one (one at a time per subscription).
        case alreadyActive(WebhookReplay)
    }

    func ensureReplayIndexes() async throws {
        try await replays.createIndexes([
            // `active` holds the endpoint's id while a replay is scheduled or running: one at a time per endpoint.
            .init(name: "active", keys: ["active": 1], unique: true, partialFilter: ["active": ["$exists": true]]),
            .init(name: "endpointId_createdAt", keys: ["endpointId": 1, "createdAt": -1]),
            .init(name: "finishedAt", keys: ["finishedAt": 1]),
        ])
    }

    /// Records a replay of the events of `endpoint` from `since` until now. A constant number of
    /// operations, whatever the range holds: the events are read later, a page at a time.
    public func scheduleReplay(_ endpoint: WebhookEndpoint, since: Date, now: Date = Date()) async throws -> ReplayScheduling {
        let replay = WebhookReplay.scheduled(id: randomID(prefix: "rpl_"), endpointID: endpoint.id, since: since, now: now)
        var document = try BSONEncoder().encode(replay)
        document["active"] = .string(endpoint.id)
        // Twice at most: the active replay may finish between the refused insert and the look-up.
        for _ in 0..<2 {
            do {
                try await replays.insertOne(document)
                return .scheduled(replay)
            } catch MongoError.duplicateKey {
                if let active = try await replays.findOne(["active": .string(endpoint.id)]) { return .alreadyActive(try Self.replay(active)) }
            }
        }
        throw StorageError.corruptDocument(collection: Self.replaysCollection, id: replay.id,
                                               reason: "an active replay of \(endpoint.id) refuses the insert but cannot be found")
    }

    /// A replay of `endpointID`, or nil.
    public func replay(_ id: String, endpointID: String) async throws -> WebhookReplay? {
        try await replays.findOne(["_id": .string(id), "endpointId": .string(endpointID)]).map(Self.replay)
    }

    /// Takes the oldest replay no other live runner holds (one never started or given back, one whose
    /// runner's lease ran out: a dead process's, or one `owner` holds already) for `lease`.
    func claimReplay(owner: String, lease: Duration, now: Date = Date()) async throws -> WebhookReplay? {
        let free: BSONDocument = ["active": ["$exists": true], "$or": [
            ["owner": ["$exists": false]], ["owner": .string(owner)], ["leaseUntil": ["$lt": .date(now)]],
        ]]
        guard let candidate = try await replays.find(free, options: .init(sort: ["createdAt": 1], limit: 1)).first.map(Self.replay) else {
            return nil
        }
        var replay = candidate
        replay.claim(owner: owner, lease: lease, now: now)
        var filter = free
        filter["_id"] = .string(replay.id)
        let taken = try await replays.updateOne(filter, ["$set": [
            "owner": .string(owner), "leaseUntil": .date(replay.leaseUntil ?? now), "status": .string(replay.status.rawValue), "updatedAt": .date(now),
        ]])
        return taken.modifiedCount == 1 ? replay : nil
    }

    /// Saves a replay's progress (its cursor, counts, status and lease) as its runner holds it; a finished
    /// replay lets go of its endpoint. False when the runner no longer holds it (another took it over).
    func saveReplay(_ replay: WebhookReplay, heldBy owner: String) async throws -> Bool {
        var set = try BSONEncoder().encode(replay)
        set["_id"] = nil
        var unset: BSONDocument = [:]
        for key in ["cursor", "finishedAt", "detail", "owner", "leaseUntil"] where set[key] == nil { unset[key] = "" }
        if !replay.isActive { unset["active"] = "" }
        var update: BSONDocument = ["$set": .document(set)]
        if !unset.isEmpty { update["$unset"] = .document(unset) }
        return try await replays.updateOne(["_id": .string(replay.id), "owner": .string(owner)], update).matchedCount == 1
    }

    /// Gives a replay back (shutdown): the next runner takes it at once and goes on from its cursor.
    func releaseReplay(_ replay: WebhookReplay, heldBy owner: String) async throws {
        _ = try await replays.updateOne(["_id": .string(replay.id), "owner": .string(owner)], ["$unset": ["owner": "", "leaseUntil": ""]])
    }

    /// The next page of a replay: up to `limit` events after its cursor, each one's delivery to `endpoint`
    /// queued again with the retry schedule starting over after its earlier attempts (which stay listed).
    /// A delivery in flight (claimed by a worker whose lease holds) is left alone: resetting it would let
    /// a second worker send it while the first still is.
    func replayPage(_ replay: WebhookReplay, endpoint: WebhookEndpoint, limit: Int, now: Date = Date()) async throws -> WebhookReplay.Page {
        var filter: BSONDocument = [
            "timestamp": ["$gte": .date(replay.since), "$lte": .date(replay.until)],
            "type": ["$in": .array(endpoint.eventTypes.map { .string($0.rawValue) })],
        ]
        if let cursor = replay.cursor {
            filter["$or"] = [["timestamp": ["$gt": .date(cursor.timestamp)]], ["timestamp": .date(cursor.timestamp), "_id": ["$gt": .string(cursor.eventID)]]]
        }
        let documents = try await events.find(filter, options: .init(sort: ["timestamp": 1, "_id": 1], limit: limit))
        var page = WebhookReplay.Page(events: documents.count, queued: 0, inFlight: 0, last: nil)
        let readable = documents.compactMap { document -> WebhookEvent? in
            guard let id = document["_id"]?.stringValue, let timestamp = document["timestamp"]?.dateValue else { return nil }
            page.last = .init(timestamp: timestamp, eventID: id)
            guard let type = document["type"]?.stringValue.flatMap(WebhookEventType.init(rawValue:)), let body = document["body"]?.stringValue else {
                return nil
            }
            return WebhookEvent(id: id, type: type, timestamp: timestamp, body: body, jobID: document["jobId"]?.stringValue ?? "")
        }
        let ids = readable.map { BSONValue.string(Self.messageID(event: $0.id, endpoint: endpoint.id)) }
        var earlier: [String: Int] = [:]
        for document in try await deliveries.find(["_id": ["$in": .array(ids)]], options: .init(projection: ["attempts": 1])) {
            if let id = document["_id"]?.stringValue { earlier[id] = document["attempts"]?.arrayValue?.count ?? 0 }
        }
        for event in readable {
            var set = Self.pendingDelivery(event, endpoint: endpoint, now: now)
            let id = set.removeValue(forKey: "_id") ?? .null
            set["attempts"] = nil
            // Earlier attempts stay listed; the schedule starts over after them.
            set["attemptBase"] = .int64(Int64(earlier[id.stringValue ?? ""] ?? 0))
            let notInFlight: BSONDocument = ["_id": id, "$or": [["owner": ["$exists": false]], ["nextAttemptAt": ["$lte": .date(now)]]]]
            do {
                _ = try await deliveries.updateOne(notInFlight, ["$set": .document(set), "$unset": ["owner": "", "deliveredAt": "", "detail": ""],
                                                                 "$setOnInsert": ["attempts": []]], upsert: true)
                page.queued += 1
            } catch MongoError.duplicateKey {
                // The delivery exists and did not match: a worker holds it.
                page.inFlight += 1
            }
        }
        return page
    }

    /// Deliveries to `endpointID` waiting to be sent or being sent, counted up to `limit`: a replay
    /// queues its next page only when fewer than a page wait, so it never floods the delivery workers.
    func deliveryBacklog(endpointID: String, limit: Int, now: Date = Date()) async throws -> Int {
        try await deliveries.find([
            "endpointId": .string(endpointID), "status": .string(WebhookDelivery.Status.pending.rawValue),
            "$or": [["nextAttemptAt": ["$lte": .date(now)]], ["owner": ["$exists": true]]],
        ], options: .init(limit: limit, projection: ["_id": 1])).count
    }

    static func replay(_ document: BSONDocument) throws -> WebhookReplay {
        do {
            return try BSONDecoder().decode(WebhookReplay.self, from: document)
        } catch {
            throw StorageError.corruptDocument(collection: replaysCollection, id: document["_id"]?.stringValue ?? "?", reason: String(describing: error))
        }
    }
}
