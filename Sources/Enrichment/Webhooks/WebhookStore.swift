import BSON
import Crypto
import EnricherCore
import Foundation
import MongoDB

/// A destination of events: a subscription made with `POST /v1/webhooks`, or a callback URL (a job's
/// own, or the configured default), recorded the first time an event goes there.
public struct WebhookEndpoint: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case subscription, callback }

    public var id: String
    public var kind: Kind
    public var url: String
    public var eventTypes: [WebhookEventType]
    /// The subscription's own secret; callbacks are signed with the configured callback secrets.
    public var secret: String?
    public var enabled: Bool
    public var disabledReason: String?
    public var createdAt: Date
    public var lastSuccessAt: Date?
    /// When deliveries started failing without a success since.
    public var failingSince: Date?
}

/// One event's delivery to one endpoint. Its id is the `webhook-id` of every attempt.
public struct WebhookDelivery: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case pending, delivered, failed, cancelled }

    public struct Attempt: Sendable, Equatable, Codable {
        public var at: Date
        /// The receiver's status; nil when no answer came (timeout, refused connection, address refused).
        public var statusCode: Int?
        public var latencyMs: Int
        /// The start of the receiver's answer, or what went wrong.
        public var response: String?
        public var error: String?
    }

    public var id: String
    public var endpointID: String
    public var url: String
    public var eventID: String
    public var eventType: WebhookEventType
    public var body: String
    public var status: Status
    public var attempts: [Attempt]
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var deliveredAt: Date?
    public var detail: String?
    /// The claim holding it (the delivery worker's).
    var owner: String?
    /// Attempts made before its latest replay: the retry schedule counts from there.
    var attemptBase = 0

    /// Attempts made since it was queued (or last replayed), this one not included.
    var attemptsThisRound: Int { attempts.count - attemptBase }
}

/// Endpoints, the events sent, and deliveries with every attempt, in MongoDB.
public struct WebhookStore: Sendable {
    public static let endpointsCollection = "webhook_endpoints"
    public static let deliveriesCollection = "webhook_deliveries"
    public static let eventsCollection = "webhook_events"
    /// The catalog's inbound `webhook-id`s, each processed once.
    public static let inboundCollection = "inbound_webhooks"
    public static let replaysCollection = "webhook_replays"
    let endpoints: MongoCollection
    let deliveries: MongoCollection
    let events: MongoCollection
    let inbound: MongoCollection
    let replays: MongoCollection

    public init(database: MongoDatabase) {
        endpoints = database.collection(Self.endpointsCollection)
        deliveries = database.collection(Self.deliveriesCollection)
        events = database.collection(Self.eventsCollection)
        inbound = database.collection(Self.inboundCollection)
        replays = database.collection(Self.replaysCollection)
    }

    public func ensureIndexes() async throws {
        try await deliveries.createIndexes([
            .init(name: "status_nextAttemptAt", keys: ["status": 1, "nextAttemptAt": 1]),
            .init(name: "owner", keys: ["owner": 1]),
            .init(name: "endpointId_createdAt", keys: ["endpointId": 1, "createdAt": -1]),
            .init(name: "createdAt", keys: ["createdAt": 1]),
            // The oldest pending delivery (a metric read at every scrape), without walking delivered ones.
            .init(name: "status_createdAt", keys: ["status": 1, "createdAt": 1]),
        ])
        // Replays page through events by (timestamp, _id); pruning uses its prefix. (Databases made before
        // it also have a `timestamp` index, left alone.)
        try await events.createIndexes([.init(name: "timestamp_id", keys: ["timestamp": 1, "_id": 1])])
        try await endpoints.createIndexes([.init(name: "kind_enabled", keys: ["kind": 1, "enabled": 1])])
        try await inbound.createIndexes([.init(name: "receivedAt", keys: ["receivedAt": 1])])
        try await ensureReplayIndexes()
    }

    // MARK: Inbound

    public enum InboundClaim: Sendable, Equatable {
        /// This call processes it.
        case process
        /// It was processed before.
        case duplicate
        /// Another call is processing it right now.
        case busy
    }

    /// Whether this call is to process inbound `id`: the first to see it, or taking over one a dead process left.
    public func claimInbound(_ id: String, takeover: Duration, now: Date = Date()) async throws -> InboundClaim {
        do {
            try await inbound.insertOne(["_id": .string(id), "status": "processing", "receivedAt": .date(now)])
            return .process
        } catch MongoError.duplicateKey {
            if try await inbound.findOne(["_id": .string(id)])?["status"]?.stringValue == "done" { return .duplicate }
            let takenOver = try await inbound.updateOne(
                ["_id": .string(id), "status": "processing", "receivedAt": ["$lt": .date(now.addingTimeInterval(-takeover.seconds))]],
                ["$set": ["receivedAt": .date(now)]])
            return takenOver.modifiedCount == 1 ? .process : .busy
        }
    }

    /// Records an inbound delivery as processed: a repeat of its id is a duplicate from now on.
    public func finishInbound(_ id: String, type: String, entity: String?, now: Date = Date()) async throws {
        _ = try await inbound.updateOne(["_id": .string(id)], ["$set": [
            "status": "done", "type": .string(type), "entity": entity.map { .string($0) } ?? .null, "processedAt": .date(now),
        ]])
    }

    /// Forgets an inbound delivery that was not processed, so the sender's retry is.
    public func releaseInbound(_ id: String) async throws {
        _ = try await inbound.deleteOne(["_id": .string(id)])
    }

    // MARK: Endpoints

    public func createSubscription(url: String, eventTypes: [WebhookEventType], secret: WebhookSecret, now: Date = Date()) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint(id: randomID(prefix: "wh_"), kind: .subscription, url: url, eventTypes: eventTypes, secret: secret.text,
                                       enabled: true, disabledReason: nil, createdAt: now, lastSuccessAt: nil, failingSince: nil)
        var document: BSONDocument = [
            "_id": .string(endpoint.id), "kind": .string(endpoint.kind.rawValue), "url": .string(url),
            "eventTypes": .array(eventTypes.map { .string($0.rawValue) }), "secret": .string(secret.text),
            "enabled": true, "createdAt": .date(now),
        ]
        document["lastSuccessAt"] = .null
        try await endpoints.insertOne(document)
        return endpoint
    }

    /// The callback endpoint of `url`, recorded the first time.
    func callbackEndpoint(url: String, now: Date = Date()) async throws -> WebhookEndpoint {
        let hash = SHA256.hash(data: Data(url.utf8)).prefix(10).map { String(format: "%02x", $0) }.joined()
        let id = "cb_\(hash)"
        _ = try await endpoints.updateOne(["_id": .string(id)], ["$setOnInsert": [
            "kind": .string(WebhookEndpoint.Kind.callback.rawValue), "url": .string(url),
            "eventTypes": .array(WebhookEventType.allCases.map { .string($0.rawValue) }), "enabled": true, "createdAt": .date(now),
        ]], upsert: true)
        guard let endpoint = try await endpoint(id) else { throw StorageError.corruptDocument(collection: Self.endpointsCollection, id: id, reason: "callback endpoint vanished") }
        return endpoint
    }

    public func endpoint(_ id: String) async throws -> WebhookEndpoint? {
        try await endpoints.findOne(["_id": .string(id)]).map(endpoint)
    }

    public func listEndpoints() async throws -> [WebhookEndpoint] {
        try await endpoints.find([:], options: .init(sort: ["createdAt": 1])).map(endpoint)
    }

    /// Enabled subscriptions to `type`.
    func subscribers(to type: WebhookEventType) async throws -> [WebhookEndpoint] {
        try await endpoints.find(["kind": .string(WebhookEndpoint.Kind.subscription.rawValue), "enabled": true])
            .map(endpoint).filter { $0.eventTypes.contains(type) }
    }

    /// Deletes a subscription; its pending deliveries are cancelled. False when there was none.
    public func deleteSubscription(_ id: String, now: Date = Date()) async throws -> Bool {
        guard try await endpoints.deleteOne(["_id": .string(id), "kind": .string(WebhookEndpoint.Kind.subscription.rawValue)]) == 1 else {
            return false
        }
        try await cancelPending(endpointID: id, detail: "the subscription was deleted", now: now)
        return true
    }

    /// Notes a success. The last success is kept to the minute, so a busy endpoint costs one write a
    /// minute, not one per delivery; a success after failures always clears them.
    func recordSuccess(_ endpointID: String, now: Date = Date()) async throws {
        _ = try await endpoints.updateOne(
            ["_id": .string(endpointID), "$or": [
                ["failingSince": ["$exists": true]], ["lastSuccessAt": .null], ["lastSuccessAt": ["$exists": false]],
                ["lastSuccessAt": ["$lt": .date(now.addingTimeInterval(-60))]],
            ]],
            ["$set": ["lastSuccessAt": .date(now)], "$unset": ["failingSince": ""]])
    }

    /// Notes a failure; disables the endpoint when it has had no success for `disableAfter`. Returns the reason when it did.
    func recordFailure(_ endpointID: String, disableAfter: Duration, now: Date = Date()) async throws -> String? {
        _ = try await endpoints.updateOne(["_id": .string(endpointID), "failingSince": ["$exists": false]], ["$set": ["failingSince": .date(now)]])
        guard let endpoint = try await endpoint(endpointID), endpoint.enabled, let since = endpoint.failingSince,
              now.timeIntervalSince(since) >= disableAfter.seconds else { return nil }
        let reason = "no successful delivery since \(since.ISO8601Format()) (ENRICHER_WEBHOOK_DISABLE_AFTER_HOURS)"
        try await disable(endpointID, reason: reason, now: now)
        return reason
    }

    func disable(_ endpointID: String, reason: String, now: Date = Date()) async throws {
        _ = try await endpoints.updateOne(["_id": .string(endpointID)], ["$set": ["enabled": false, "disabledReason": .string(reason)]])
        try await cancelPending(endpointID: endpointID, detail: "the endpoint was disabled: \(reason)", now: now)
    }

    private func cancelPending(endpointID: String, detail: String, now: Date) async throws {
        _ = try await deliveries.updateMany(["endpointId": .string(endpointID), "status": .string(WebhookDelivery.Status.pending.rawValue)],
                                            ["$set": ["status": .string(WebhookDelivery.Status.cancelled.rawValue), "detail": .string(detail)],
                                             "$unset": ["nextAttemptAt": "", "owner": ""]])
    }

    // MARK: Events and deliveries

    /// The `webhook-id` of an event's delivery to an endpoint: the same however often it is made.
    static func messageID(event: String, endpoint: String) -> String {
        "msg_" + SHA256.hash(data: Data("\(event)|\(endpoint)".utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// Keeps the event (for replays) and queues its delivery to each endpoint; doing it again changes nothing.
    func enqueue(_ event: WebhookEvent, to endpoints: [WebhookEndpoint], now: Date = Date()) async throws {
        do {
            try await events.insertOne(["_id": .string(event.id), "type": .string(event.type.rawValue), "timestamp": .date(event.timestamp),
                                        "body": .string(event.body), "jobId": .string(event.jobID)])
        } catch MongoError.duplicateKey {}
        for endpoint in endpoints {
            do {
                try await deliveries.insertOne(Self.pendingDelivery(event, endpoint: endpoint, now: now))
            } catch MongoError.duplicateKey {}
        }
    }

    static func pendingDelivery(_ event: WebhookEvent, endpoint: WebhookEndpoint, now: Date) -> BSONDocument {
        [
            "_id": .string(messageID(event: event.id, endpoint: endpoint.id)), "endpointId": .string(endpoint.id), "url": .string(endpoint.url),
            "eventId": .string(event.id), "eventType": .string(event.type.rawValue), "body": .string(event.body),
            "status": .string(WebhookDelivery.Status.pending.rawValue), "attempts": [], "nextAttemptAt": .date(now), "createdAt": .date(now),
        ]
    }

    /// Claims up to `limit` due deliveries for `lease` (as the job queue claims tasks).
    func claim(limit: Int, owner: String, lease: Duration, now: Date = Date()) async throws -> [WebhookDelivery] {
        let due: BSONDocument = ["status": .string(WebhookDelivery.Status.pending.rawValue), "nextAttemptAt": ["$lte": .date(now)]]
        let candidates = try await deliveries.find(due, options: .init(sort: ["nextAttemptAt": 1], limit: limit, projection: ["_id": 1]))
        let ids = candidates.compactMap { $0["_id"] }
        guard !ids.isEmpty else { return [] }
        var filter = due
        filter["_id"] = ["$in": .array(ids)]
        try await deliveries.updateMany(filter, ["$set": ["owner": .string(owner), "nextAttemptAt": .date(now.addingTimeInterval(lease.seconds))]])
        return try await deliveries.find(["owner": .string(owner), "status": .string(WebhookDelivery.Status.pending.rawValue)]).map(delivery)
    }

    /// Records an attempt and what comes next: delivered, another attempt at `retryAt`, or failed.
    func record(_ delivery: WebhookDelivery, attempt: WebhookDelivery.Attempt, status: WebhookDelivery.Status, retryAt: Date?,
                detail: String?, now: Date = Date()) async throws {
        var set: BSONDocument = ["status": .string(status.rawValue)]
        var unset: BSONDocument = ["owner": ""]
        if let retryAt { set["nextAttemptAt"] = .date(retryAt) } else { unset["nextAttemptAt"] = "" }
        if status == .delivered { set["deliveredAt"] = .date(now) }
        if let detail { set["detail"] = .string(detail) }
        _ = try await deliveries.updateOne(
            ["_id": .string(delivery.id), "owner": .string(delivery.owner ?? "")],
            ["$set": .document(set), "$unset": .document(unset), "$push": ["attempts": .document(try BSONEncoder().encode(attempt))]])
    }

    /// Gives claimed deliveries back (shutdown): due at once.
    /// Extends the lease of a claimed delivery, right before its attempt. False when it was lost.
    func extend(_ delivery: WebhookDelivery, lease: Duration, now: Date = Date()) async throws -> Bool {
        try await deliveries.updateOne(["_id": .string(delivery.id), "owner": .string(delivery.owner ?? "")],
                                       ["$set": ["nextAttemptAt": .date(now.addingTimeInterval(lease.seconds))]]).matchedCount == 1
    }

    func release(_ delivery: WebhookDelivery, now: Date = Date()) async throws {
        _ = try await deliveries.updateOne(["_id": .string(delivery.id), "owner": .string(delivery.owner ?? "")],
                                           ["$set": ["nextAttemptAt": .date(now)], "$unset": ["owner": ""]])
    }

    /// An endpoint's latest deliveries, newest first.
    public func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery] {
        try await deliveries.find(["endpointId": .string(endpointID)], options: .init(sort: ["createdAt": -1], limit: limit)).map(delivery)
    }

    /// Deletes events older than `before`, finished deliveries made before it, the inbound ids received
    /// before it, and the replays that finished before it; returns how many documents went.
    func prune(before: Date) async throws -> Int {
        let events = try await events.deleteMany(["timestamp": ["$lt": .date(before)]])
        let finished = try await deliveries.deleteMany([
            "createdAt": ["$lt": .date(before)],
            "status": ["$in": .array([WebhookDelivery.Status.delivered, .failed, .cancelled].map { .string($0.rawValue) })],
        ])
        let inboundIDs = try await inbound.deleteMany(["receivedAt": ["$lt": .date(before)], "status": "done"])
        let replays = try await replays.deleteMany(["finishedAt": ["$lt": .date(before)]])
        return events + finished + inboundIDs + replays
    }

    // MARK: Documents

    func endpoint(_ document: BSONDocument) throws -> WebhookEndpoint {
        let stored = try endpoints.decode(EndpointDocument.self, from: document)
        return WebhookEndpoint(id: stored._id, kind: stored.kind, url: stored.url, eventTypes: stored.eventTypes, secret: stored.secret,
                               enabled: stored.enabled, disabledReason: stored.disabledReason, createdAt: stored.createdAt,
                               lastSuccessAt: stored.lastSuccessAt, failingSince: stored.failingSince)
    }

    func delivery(_ document: BSONDocument) throws -> WebhookDelivery {
        let stored = try deliveries.decode(DeliveryDocument.self, from: document)
        return WebhookDelivery(id: stored._id, endpointID: stored.endpointId, url: stored.url, eventID: stored.eventId, eventType: stored.eventType,
                               body: stored.body, status: stored.status, attempts: stored.attempts, nextAttemptAt: stored.nextAttemptAt,
                               createdAt: stored.createdAt, deliveredAt: stored.deliveredAt, detail: stored.detail, owner: stored.owner,
                               attemptBase: stored.attemptBase ?? 0)
    }
}

/// A subscription or callback endpoint as `webhook_endpoints` holds it.
struct EndpointDocument: Codable {
    var _id: String
    var kind: WebhookEndpoint.Kind
    var url: String
    var eventTypes: [WebhookEventType]
    var secret: String?
    var enabled: Bool
    var disabledReason: String?
    var createdAt: Date
    var lastSuccessAt: Date?
    var failingSince: Date?
}

/// A delivery as `webhook_deliveries` holds it (`attemptBase` is absent until a replay sets it).
struct DeliveryDocument: Codable {
    var _id: String
    var endpointId: String
    var url: String
    var eventId: String
    var eventType: WebhookEventType
    var body: String
    var status: WebhookDelivery.Status
    var attempts: [WebhookDelivery.Attempt]
    var nextAttemptAt: Date?
    var createdAt: Date
    var deliveredAt: Date?
    var detail: String?
    var owner: String?
    var attemptBase: Int?
}

extension WebhookStore {
    /// When the oldest delivery still to be sent was queued; nil when none is.
    public func oldestPending() async throws -> Date? {
        try await deliveries.find(["status": .string(WebhookDelivery.Status.pending.rawValue)],
                                  options: .init(sort: ["createdAt": 1], limit: 1, projection: ["createdAt": 1]))
            .first?["createdAt"]?.dateValue
    }
}
