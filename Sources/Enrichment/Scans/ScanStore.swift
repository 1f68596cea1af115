import BSON
import EnricherCore
import Foundation
import MongoDB

/// Scans in MongoDB: one document per run in `scans`, and the scan lock in `scan_lock`, which makes
/// overlapping runs impossible across processes as well as within one. The lock is a lease: its holder
/// renews it while the run lasts, so the lock of a process that died frees itself.
public struct ScanStore: Sendable {
    public static let scansCollection = "scans"
    public static let lockCollection = "scan_lock"
    static let lockID = "scan"
    let scans: MongoCollection
    let lock: MongoCollection

    public init(database: MongoDatabase) {
        scans = database.collection(Self.scansCollection)
        lock = database.collection(Self.lockCollection)
    }

    public func ensureIndexes() async throws {
        try await scans.createIndexes([
            .init(name: "startedAt", keys: ["startedAt": -1]),
            .init(name: "status", keys: ["status": 1]),
        ])
    }

    // MARK: Lock

    /// Takes the lock for `scanID` unless another holder's lease is still running. True when taken.
    func acquireLock(scanID: String, owner: String, lease: Duration, now: Date = Date()) async throws -> Bool {
        do {
            let result = try await lock.updateOne(
                ["_id": .string(Self.lockID), "expiresAt": ["$lte": .date(now)]],
                ["$set": ["scanId": .string(scanID), "owner": .string(owner), "since": .date(now),
                          "expiresAt": .date(now.addingTimeInterval(lease.seconds))]],
                upsert: true)
            return result.matchedCount == 1 || result.upsertedID != nil
        } catch MongoError.duplicateKey {
            // The lock exists and its lease runs: the filter did not match, the insert collided.
            return false
        }
    }

    /// Extends a lock still held. False when it was lost.
    @discardableResult
    func renewLock(owner: String, lease: Duration, now: Date = Date()) async throws -> Bool {
        try await lock.updateOne(["_id": .string(Self.lockID), "owner": .string(owner)],
                                 ["$set": ["expiresAt": .date(now.addingTimeInterval(lease.seconds))]]).matchedCount == 1
    }

    func releaseLock(owner: String) async throws {
        _ = try await lock.deleteOne(["_id": .string(Self.lockID), "owner": .string(owner)])
    }

    /// The scan holding the lock and since when, if its lease runs.
    func lockHolder(now: Date = Date()) async throws -> (scanID: String?, since: Date?)? {
        guard let document = try await lock.findOne(["_id": .string(Self.lockID)]),
              let expiresAt = document["expiresAt"]?.dateValue, expiresAt > now else { return nil }
        return (document["scanId"]?.stringValue, document["since"]?.dateValue)
    }

    // MARK: Runs

    func insert(_ run: ScanRun) async throws {
        try await scans.insertOne(try Self.document(run))
    }

    /// Records how a run ended.
    func finish(_ id: String, status: ScanRun.Status, counts: JobCounts?, detail: String?, now: Date = Date()) async throws {
        var set: BSONDocument = ["status": .string(status.rawValue), "finishedAt": .date(now)]
        if let counts { set["counts"] = .document(try BSONEncoder().encode(counts)) }
        if let detail { set["detail"] = .string(detail) }
        _ = try await scans.updateOne(["_id": .string(id)], ["$set": .document(set)])
    }

    public func run(_ id: String) async throws -> ScanRun? {
        try await scans.findOne(["_id": .string(id)]).map(run)
    }

    /// The latest runs, newest first.
    public func recent(limit: Int) async throws -> [ScanRun] {
        try await scans.find([:], options: .init(sort: ["startedAt": -1], limit: limit)).map(run)
    }

    /// Runs recorded as running (one whose process died stays so until a process takes it over).
    func running() async throws -> [ScanRun] {
        try await scans.find(["status": .string(ScanRun.Status.running.rawValue)]).map(run)
    }

    // MARK: Documents

    static func document(_ run: ScanRun) throws -> BSONDocument {
        var document: BSONDocument = [
            "_id": .string(run.id),
            "trigger": .string(run.trigger.rawValue),
            "force": .bool(run.force),
            "status": .string(run.status.rawValue),
            "startedAt": .date(run.startedAt),
            "deadline": .date(run.deadline),
            "pending": .document(counts(run.pending)),
            "allocation": .document(counts(run.allocation)),
        ]
        if let finishedAt = run.finishedAt { document["finishedAt"] = .date(finishedAt) }
        if let jobID = run.jobID { document["jobId"] = .string(jobID) }
        if let counts = run.counts { document["counts"] = .document(try BSONEncoder().encode(counts)) }
        if let detail = run.detail { document["detail"] = .string(detail) }
        return document
    }

    static func counts(_ byType: [MediaType: Int]) -> BSONDocument {
        var document = BSONDocument()
        for mediaType in MediaType.allCases {
            if let count = byType[mediaType] { document[mediaType.rawValue] = .int64(Int64(count)) }
        }
        return document
    }

    func run(_ document: BSONDocument) throws -> ScanRun {
        let stored = try scans.decode(ScanDocument.self, from: document)
        func byType(_ counts: [String: Int]) -> [MediaType: Int] {
            Dictionary(uniqueKeysWithValues: counts.compactMap { name, count in MediaType(rawValue: name).map { ($0, count) } })
        }
        return ScanRun(id: stored._id, trigger: stored.trigger, force: stored.force, status: stored.status, startedAt: stored.startedAt,
                       deadline: stored.deadline, finishedAt: stored.finishedAt, pending: byType(stored.pending),
                       allocation: byType(stored.allocation), jobID: stored.jobId, counts: stored.counts, detail: stored.detail)
    }
}

/// A scan run as `scans` holds it; counts per media type are keyed by the type's name.
struct ScanDocument: Codable {
    var _id: String
    var trigger: ScanRun.Trigger
    var force: Bool
    var status: ScanRun.Status
    var startedAt: Date
    var deadline: Date
    var finishedAt: Date?
    var pending: [String: Int]
    var allocation: [String: Int]
    var jobId: String?
    var counts: JobCounts?
    var detail: String?
}
