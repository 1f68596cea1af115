import BSON
import EnricherCore
import Foundation
import MongoDB

/// Re-runs by filter: the job is stored at once with its filter, and its entities are written as tasks a
/// page at a time in the background (`expandNext`), whenever fewer than a page of the job's tasks are
/// queued: the queue never holds more than two pages of a re-run however many entities it takes, so
/// claims stay cheap and other jobs keep their turn, and each page is read as the catalog is then.
///
/// A page is written in two steps under a short lease on the job: its tasks (at the positions after the
/// job's `total`), then the job (`total`, the cursor, the turns). A process that dies between them leaves
/// tasks past `total`; the next writer adopts them as they are before reading further, so no entity is
/// lost or written twice.
extension JobStore {
    /// Digits of a position in a filter job's task ids (so at most 99,999,999 tasks).
    static let filterPositionWidth = 8

    /// Creates a job over `filter`'s entities, `matched` of them as counted now; its tasks are written by `expandNext`.
    public func create(filter: EntityFilter, matched: Int, force: Bool, callbackUrl: String?, now: Date = Date()) async throws -> EnrichmentJob {
        var job = EnrichmentJob(id: Self.newJobID(), status: .running, force: force, callbackUrl: callbackUrl, total: 0, createdAt: now,
                                completedAt: nil, filter: filter, expansion: .init(matched: matched, done: false))
        job.positionWidth = Self.filterPositionWidth
        var document: BSONDocument = [
            "_id": .string(job.id),
            "status": .string(job.status.rawValue),
            "force": .bool(force),
            "total": .int64(0),
            "createdAt": .date(now),
            "filter": .document(try BSONEncoder().encode(filter)),
            "expansion": ["matched": .int64(Int64(matched)), "done": false],
            "positionWidth": .int64(Int64(Self.filterPositionWidth)),
        ]
        if let callbackUrl { document["callbackUrl"] = .string(callbackUrl) }
        try await jobs.insertOne(document)
        return job
    }

    /// Writes the next page of a filter job's tasks, for the oldest job that needs one (fewer than
    /// `pageSize` of its tasks queued) and whose page lease is free or has run out; the lease, `lease` long,
    /// covers writing one page. At most `maxEntities` tasks are written for a job. Returns whether a page
    /// was written (or a job finished expanding): false when no job needs one now.
    public func expandNext(owner: String, lease: Duration, pageSize: Int, maxEntities: Int, entities: EntityRepository,
                           now: Date = Date()) async throws -> Bool {
        let waiting: BSONDocument = [
            "status": .string(EnrichmentJob.Status.running.rawValue),
            "expansion.done": false,
            "$or": [["expansion.until": ["$exists": false]], ["expansion.until": ["$lte": .date(now)]]],
        ]
        for document in try await jobs.find(waiting, options: .init(sort: ["createdAt": 1], limit: 64)) {
            let stored = try jobs.decode(JobDocument.self, from: document)
            guard stored.expansion != nil, stored.filter != nil else { continue }
            let queued = try await tasks.countDocuments(["jobId": .string(stored._id), "state": .string(JobItem.State.queued.rawValue)])
            if queued >= pageSize { continue }
            if try await writePage(of: stored, owner: owner, lease: lease, pageSize: pageSize, maxEntities: maxEntities, entities: entities, now: now) {
                return true
            }
        }
        return false
    }

    /// Takes the page lease of `stored` as read (another writer that took it meanwhile makes this miss:
    /// false) and writes its next page, or marks it expanded when the filter has no more entities.
    private func writePage(of stored: JobDocument, owner: String, lease: Duration, pageSize: Int, maxEntities: Int,
                           entities: EntityRepository, now: Date) async throws -> Bool {
        guard let expansion = stored.expansion, let filter = stored.filter else { return false }
        var held: BSONDocument = ["_id": .string(stored._id), "total": .int64(Int64(stored.total)), "expansion.done": false]
        held["expansion.until"] = expansion.until.map { .date($0) } ?? ["$exists": false]
        let until = now.addingTimeInterval(lease.seconds)
        guard try await jobs.updateOne(held, ["$set": ["expansion.owner": .string(owner), "expansion.until": .date(until)]]).matchedCount == 1 else {
            return false
        }
        held["expansion.until"] = .date(until)
        held["expansion.owner"] = .string(owner)
        let release: BSONDocument = ["expansion.owner": "", "expansion.until": ""]

        let job = stored.job
        var turns = expansion.turns ?? [:]
        var written = try await leftovers(of: job)
        if written.isEmpty {
            let room = maxEntities - job.total
            let keys = room > 0 ? try await entities.keys(matching: filter, after: expansion.cursor, limit: min(pageSize, room)) : []
            guard !keys.isEmpty else {
                try await jobs.updateOne(held, ["$set": ["expansion.done": true], "$unset": .document(release)])
                try await completeIfFinished(job.id, now: now)
                return true
            }
            let models = keys.enumerated().map { offset, key in
                let turn = turns[key.mediaType.rawValue, default: 0]
                turns[key.mediaType.rawValue] = turn + 1
                return MongoCollection.WriteModel.insertOne(
                    Self.taskDocument(job: job, position: job.total + offset, key: key, turn: turn, priority: .onDemand))
            }
            let result = try await tasks.bulkWrite(models, ordered: true)
            // A duplicate position: another writer wrote it after this lease ran out; what was written is adopted next time.
            if let error = result.writeErrors.values.first { throw error }
            written = keys
        } else {
            for key in written { turns[key.mediaType.rawValue, default: 0] += 1 }
        }
        guard let last = written.last else { return false }
        try await jobs.updateOne(held, [
            "$set": [
                "total": .int64(Int64(job.total + written.count)),
                "expansion.cursor": .string(last.description),
                "expansion.turns": .document(BSONDocument(turns.map { ($0.key, BSONValue.int64(Int64($0.value))) })),
            ],
            "$unset": .document(release),
        ])
        return true
    }

    /// Tasks written past the job's `total` by a holder that stopped before recording them, in position order.
    private func leftovers(of job: EnrichmentJob) async throws -> [EntityKey] {
        let first = Self.taskID(job: job.id, position: job.total, width: job.positionWidth)
        let documents = try await tasks.find(["_id": ["$gte": .string(first), "$lt": .string("\(job.id)0")]],
                                             options: .init(sort: ["_id": 1], projection: ["_id": 1, "entity": 1]))
        return try documents.map { document in
            guard let entity = document["entity"]?.stringValue, let key = EntityKey(documentID: entity) else {
                throw StorageError.corruptDocument(collection: tasks.name, id: document["_id"]?.stringValue ?? "?", reason: "no entity key")
            }
            return key
        }
    }
}

/// What asking for a re-run by filter came to.
public enum Rerun: Sendable, Equatable {
    /// A dry run: how many entities the filter takes now.
    case counted(Int)
    /// The job, its tasks written in the background.
    case started(EnrichmentJob)
    /// The filter takes more entities than a re-run may.
    case tooMany(matched: Int, limit: Int)
    /// The filter takes no entity: no job.
    case noMatch
}

extension JobStore {
    /// Counts `filter`'s entities and, unless `dryRun`, starts a job over them when there are 1 to `maxEntities`.
    public func rerun(filter: EntityFilter, force: Bool, callbackUrl: String?, dryRun: Bool, maxEntities: Int,
                      entities: EntityRepository) async throws -> Rerun {
        let matched = try await entities.count(matching: filter)
        if dryRun { return .counted(matched) }
        guard matched > 0 else { return .noMatch }
        guard matched <= maxEntities else { return .tooMany(matched: matched, limit: maxEntities) }
        return .started(try await create(filter: filter, matched: matched, force: force, callbackUrl: callbackUrl))
    }
}
