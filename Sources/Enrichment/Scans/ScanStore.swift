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
        try await scans.findOne(["_id": .string(id)]).flatMap(Self.run)
    }

    /// The latest runs, newest first.
    public func recent(limit: Int) async throws -> [ScanRun] {
        try await scans.find([:], options: .init(sort: ["startedAt": -1], limit: limit)).compactMap(Self.run)
    }

    /// Runs recorded as running (one whose process died stays so until a process takes it over).
    func running() async throws -> [ScanRun] {
        try await scans.find(["status": .string(ScanRun.Status.running.rawValue)]).compactMap(Self.run)
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

    static func counts(_ document: BSONDocument?) -> [MediaType: Int] {
        var byType: [MediaType: Int] = [:]
        for mediaType in MediaType.allCases {
            if let count = document?[mediaType.rawValue]?.int64Value { byType[mediaType] = Int(count) }
        }
        return byType
    }

    static func run(_ document: BSONDocument) -> ScanRun? {
        guard let id = document["_id"]?.stringValue, let startedAt = document["startedAt"]?.dateValue else { return nil }
        return ScanRun(
            id: id,
            trigger: document["trigger"]?.stringValue.flatMap(ScanRun.Trigger.init(rawValue:)) ?? .manual,
            force: document["force"]?.boolValue ?? false,
            status: document["status"]?.stringValue.flatMap(ScanRun.Status.init(rawValue:)) ?? .running,
            startedAt: startedAt,
            deadline: document["deadline"]?.dateValue ?? startedAt,
            finishedAt: document["finishedAt"]?.dateValue,
            pending: counts(document["pending"]?.documentValue),
            allocation: counts(document["allocation"]?.documentValue),
            jobID: document["jobId"]?.stringValue,
            counts: document["counts"]?.documentValue.flatMap { try? BSONDecoder().decode(JobCounts.self, from: $0) },
            detail: document["detail"]?.stringValue
        )
    }
}
