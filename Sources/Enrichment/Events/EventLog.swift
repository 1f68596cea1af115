import BSON
import EnricherCore
import Foundation
import MongoDB

/// An event with its place in the log: the cursor a stream gives out as `id:` and resumes after.
public struct LoggedEvent: Sendable, Equatable {
    public var sequence: Int64
    public var event: WebhookEvent
}

/// Every event of every job in one sequence without holes, for the live event streams: the order they
/// send events in, and the cursor (`Last-Event-ID`) they resume from.
///
/// Events are made by the workers of every instance and read by the streams of every instance, so the
/// cursor cannot come from a clock or an ObjectId: an event committing a moment later with a smaller
/// value would land behind a reader that had already passed it. Here number `n + 1` is inserted only by
/// an appender that saw `n` written (the newest it read, or the one it inserted itself); appenders racing
/// for a number meet on the `_id` index, and the loser reads the newest again. So `n + 1` exists only if
/// `n` was visible first, and a reader that reads the newest number `H` and then the range `(cursor, H]`
/// sees every event in it: nothing can turn up later below a number it has passed. (This relies on reading
/// the primary, as every part of Enricher does.) Pruning removes the oldest events but never the newest,
/// so a number is never given out twice. The relay appends each event before marking it relayed, and a
/// job's entity events before its completion (`WebhookDispatcher.relay`). See docs/events.md.
public struct EventLog: Sendable {
    public static let collectionName = "event_log"
    /// How many times one event's append tries again after other appenders took the number it aimed at.
    static let appendRounds = 64
    let events: MongoCollection

    public init(database: MongoDatabase) {
        events = database.collection(Self.collectionName)
    }

    public func ensureIndexes() async throws {
        try await events.createIndexes([
            .init(name: "id", keys: ["id": 1], unique: true),
            .init(name: "jobId_id", keys: ["jobId": 1, "_id": 1]),
            .init(name: "timestamp", keys: ["timestamp": 1]),
        ])
    }

    /// Appends events in order, each once: those already in the log (another relay got there first) are
    /// left where they are.
    func append(_ batch: [WebhookEvent]) async throws {
        guard !batch.isEmpty else { return }
        let present = try await events.find(["id": ["$in": .array(batch.map { .string($0.id) })]], options: .init(projection: ["id": 1]))
        var logged = Set(present.compactMap { $0["id"]?.stringValue })
        var next = try await newest() + 1
        for event in batch where !logged.contains(event.id) {
            var round = 0
            while true {
                do {
                    var document = event.document
                    document["_id"] = .int64(next)
                    try await events.insertOne(document)
                    next += 1
                    break
                } catch MongoError.duplicateKey {
                    // Either another relay appended this very event, or another appender took the number.
                    if try await sequence(ofEvent: event.id) != nil { break }
                    round += 1
                    guard round < Self.appendRounds else { throw Contended(rounds: round) }
                    next = try await newest() + 1
                }
            }
            logged.insert(event.id)
        }
    }

    /// The newest event's number; 0 when the log is empty.
    public func newest() async throws -> Int64 {
        let newest = try await events.find([:], options: .init(sort: ["_id": -1], limit: 1, projection: ["_id": 1]))
        return newest.first?["_id"]?.int64Value ?? 0
    }

    /// The events after `after` up to `through` (a number read from `newest()` before this call), oldest
    /// first, at most `limit`: all of one job's, or every job's when `jobID` is nil.
    public func read(jobID: String?, after: Int64, through: Int64, limit: Int) async throws -> [LoggedEvent] {
        guard through > after else { return [] }
        var filter: BSONDocument = ["_id": ["$gt": .int64(after), "$lte": .int64(through)]]
        if let jobID { filter["jobId"] = .string(jobID) }
        return try await events.find(filter, options: .init(sort: ["_id": 1], limit: limit)).map { document in
            guard let sequence = document["_id"]?.int64Value, let event = WebhookEvent(document: document) else {
                throw StorageError.corruptDocument(collection: Self.collectionName, id: "\(document["_id"] ?? .null)", reason: "not a logged event")
            }
            return LoggedEvent(sequence: sequence, event: event)
        }
    }

    /// Appenders kept losing the numbers they aimed at (the relay tries again on its next round).
    struct Contended: Error, CustomStringConvertible {
        let rounds: Int
        var description: String { "could not append to \(EventLog.collectionName): other appenders took the next number \(rounds) times in a row" }
    }

    /// The number of event `id` (`evt_...`); nil when it is not in the log.
    public func sequence(ofEvent id: String) async throws -> Int64? {
        try await events.findOne(["id": .string(id)], projection: ["_id": 1])?["_id"]?.int64Value
    }

    /// Deletes events older than `before`, except the newest, whose number the next append counts on.
    func prune(before: Date) async throws -> Int {
        let newest = try await newest()
        return try await events.deleteMany(["timestamp": ["$lt": .date(before)], "_id": ["$lt": .int64(newest)]])
    }
}
