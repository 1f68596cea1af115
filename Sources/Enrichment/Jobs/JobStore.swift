import BSON
import EnricherCore
import Foundation
import MongoDB

/// Enrichment jobs and their queued work in MongoDB, so a restart loses nothing.
///
/// Each entity of a job is a task document. Workers claim due tasks with a lease: a claim writes a fresh
/// owner token and pushes `dueAt` to the lease's end, so a task whose worker died becomes due again when
/// the lease runs out. A claim that finds the task started (`startedAt`: neither finished nor given back)
/// counts that attempt as failed (`failures`), in the same update. Claims are made in batches (ids on the
/// `state_dueAt` index, then conditional `updateMany`s, then a read of what this token won) rather than
/// with one `findAndModify` per task: it is just as atomic per document on MongoDB and avoids the
/// collection scan `findAndModify` costs on SecantusDB (see the README's storage notes).
public struct JobStore: Sendable {
    public static let jobsCollection = "enrichment_jobs"
    public static let tasksCollection = "enrichment_tasks"
    /// How many times one claim tries again after losing every task it aimed at to other claimers.
    static let claimRounds = 64
    let database: MongoDatabase
    let jobs: MongoCollection
    let tasks: MongoCollection
    /// Makes the job-completed event, written with the completion (the outbox); nil: no events.
    let events: WebhookEvents?

    public init(database: MongoDatabase, events: WebhookEvents? = nil) {
        self.database = database
        self.events = events
        jobs = database.collection(Self.jobsCollection)
        tasks = database.collection(Self.tasksCollection)
    }

    public func ensureIndexes() async throws {
        try await tasks.createIndexes([
            .init(name: "state_priority_turn_dueAt", keys: ["state": 1, "priority": 1, "turn": 1, "dueAt": 1]),
            .init(name: "owner", keys: ["owner": 1]),
            .init(name: "jobId_state", keys: ["jobId": 1, "state": 1]),
            .init(name: "relay", keys: ["relay": 1]),
        ])
        try await jobs.createIndexes([
            .init(name: "status", keys: ["status": 1]), .init(name: "relay", keys: ["relay": 1]),
            // Recent jobs, all or of one status, newest first (`GET /v1/enrichments`).
            .init(name: "createdAt", keys: ["createdAt": -1]), .init(name: "status_createdAt", keys: ["status": 1, "createdAt": -1]),
        ])
    }

    /// A new job id: `job_` and 20 random base-32 characters.
    static func newJobID() -> String { randomID(prefix: "job_") }

    /// Digits of a position in the task ids of a job over a list of entities (at most 1000).
    static let listPositionWidth = 4

    /// Task ids sort by job, then by position, so a job's items page by `_id` range: positions are padded
    /// to the job's width (`EnrichmentJob.positionWidth`), the same for all of a job's tasks.
    static func taskID(job: String, position: Int, width: Int = listPositionWidth) -> String {
        "\(job)/\(String(repeating: "0", count: max(0, width - String(position).count)))\(position)"
    }

    /// A queued task for the entity at `position` of a job, `turn` its place among the job's tasks of the
    /// same media type.
    static func taskDocument(job: EnrichmentJob, position: Int, key: EntityKey, turn: Int, priority: JobPriority) -> BSONDocument {
        [
            "_id": .string(taskID(job: job.id, position: position, width: job.positionWidth)),
            "jobId": .string(job.id),
            "entity": .string(key.description),
            "force": .bool(job.force),
            "priority": .int32(Int32(priority.rawValue)),
            "turn": .int64(Int64(turn)),
            "jobCreatedAt": .date(job.createdAt),
            "state": .string(JobItem.State.queued.rawValue),
            "dueAt": .date(job.createdAt),
            "attempts": 0,
            "deferrals": 0,
        ]
    }

    /// Creates a job over `keys` (in order, without duplicates): the job document first, so a task that
    /// finishes at once finds its job to complete, then its tasks. Tasks that could not all be written
    /// take the job with them (the caller gets the error and nothing half made stays).
    ///
    /// Claims are fair at the database: due tasks are claimed by `priority`, then by `turn` (a task's
    /// place among its job's tasks of the same media type), then oldest first. So a job of ten books posted
    /// after a job of a thousand movies has its first books claimed right after the movies' first ones,
    /// and within a job every media type starts at once.
    public func create(keys: [EntityKey], force: Bool, callbackUrl: String?, priority: JobPriority = .onDemand,
                       now: Date = Date()) async throws -> EnrichmentJob {
        let job = EnrichmentJob(id: Self.newJobID(), status: keys.isEmpty ? .completed : .running, force: force,
                                callbackUrl: callbackUrl, total: keys.count, createdAt: now, completedAt: keys.isEmpty ? now : nil)
        var document: BSONDocument = [
            "_id": .string(job.id),
            "status": .string(job.status.rawValue),
            "force": .bool(force),
            "total": .int64(Int64(keys.count)),
            "createdAt": .date(now),
        ]
        if let callbackUrl { document["callbackUrl"] = .string(callbackUrl) }
        if let completedAt = job.completedAt { document["completedAt"] = .date(completedAt) }
        try await jobs.insertOne(document)
        var turns: [MediaType: Int] = [:]
        let models = keys.enumerated().map { position, key in
            let turn = turns[key.mediaType, default: 0]
            turns[key.mediaType] = turn + 1
            return MongoCollection.WriteModel.insertOne(Self.taskDocument(job: job, position: position, key: key, turn: turn, priority: priority))
        }
        if !models.isEmpty {
            do {
                let result = try await tasks.bulkWrite(models, ordered: true)
                if let error = result.writeErrors.values.first { throw error }
            } catch {
                _ = try? await tasks.deleteMany(["jobId": .string(job.id)])
                _ = try? await jobs.deleteOne(["_id": .string(job.id)])
                throw error
            }
        }
        return job
    }

    public func job(_ id: String) async throws -> EnrichmentJob? {
        try await jobs.findOne(["_id": .string(id)]).map(job(from:))
    }

    private func job(from document: BSONDocument) throws -> EnrichmentJob {
        try jobs.decode(JobDocument.self, from: document).job
    }

    /// Per-outcome counts of a job, from its tasks.
    public func counts(_ jobID: String) async throws -> JobCounts {
        try await counts([jobID])[jobID] ?? JobCounts()
    }

    /// Per-outcome counts of each of `jobIDs` (those without tasks left out), in one aggregation on the
    /// `jobId_state` index.
    public func counts(_ jobIDs: [String]) async throws -> [String: JobCounts] {
        guard !jobIDs.isEmpty else { return [:] }
        let groups = try await tasks.aggregate([
            ["$match": ["jobId": ["$in": .array(jobIDs.map(BSONValue.string))]]],
            ["$group": ["_id": ["job": "$jobId", "state": "$state", "outcome": "$outcome"], "n": ["$sum": 1]]],
        ])
        var counts: [String: JobCounts] = [:]
        for group in groups {
            guard let key = group["_id"]?.documentValue, let job = key["job"]?.stringValue else { continue }
            let n = Int(group["n"]?.int64Value ?? 0)
            if key["state"]?.stringValue == JobItem.State.queued.rawValue {
                counts[job, default: JobCounts()].queued += n
            } else if let outcome = key["outcome"]?.stringValue.flatMap(TaskOutcome.init(rawValue:)) {
                counts[job, default: JobCounts()][outcome] += n
            }
        }
        return counts
    }

    /// The `limit` jobs created last, newest first, only those with `status` when given (on the
    /// `createdAt` and `status_createdAt` indexes).
    public func recent(status: EnrichmentJob.Status?, limit: Int) async throws -> [EnrichmentJob] {
        let filter: BSONDocument = status.map { ["status": .string($0.rawValue)] } ?? [:]
        return try await jobs.find(filter, options: .init(sort: ["createdAt": -1], limit: limit)).map(job(from:))
    }

    /// A job's counts, and the job as it stands with them: one whose items are all done but whose last
    /// item's worker has not marked it completed yet (or died before it could) is completed first, so a
    /// job never reads running with nothing left.
    public func settle(_ job: EnrichmentJob) async throws -> (job: EnrichmentJob, counts: JobCounts) {
        let counts = try await counts(job.id)
        guard job.status == .running, counts.queued == 0 else { return (job, counts) }
        try await completeIfFinished(job.id)
        return (try await self.job(job.id) ?? job, counts)
    }

    /// A completed job's own event as its document keeps it, and whether the relay is done with it
    /// (then it is in the event log, unless the log was pruned since or the job is older than the log).
    public func completionEvent(_ jobID: String) async throws -> (event: WebhookEvent?, relayed: Bool) {
        let document = try await jobs.findOne(["_id": .string(jobID)], projection: ["event": 1, "relay": 1])
        return (WebhookEvent(document: document?["event"]?.documentValue), document?["relay"] == nil)
    }

    /// One page of a job's items in request order, after position `after`.
    public func items(_ job: EnrichmentJob, after: Int?, limit: Int) async throws -> (items: [JobItem], next: Int?) {
        let lower = after.map { Self.taskID(job: job.id, position: $0, width: job.positionWidth) } ?? "\(job.id)/"
        let filter: BSONDocument = ["_id": [after == nil ? "$gte" : "$gt": .string(lower), "$lt": .string("\(job.id)0")]]
        let documents = try await tasks.find(filter, options: .init(sort: ["_id": 1], limit: limit + 1))
        let page = documents.prefix(limit)
        let stored = try page.map { try tasks.decode(TaskDocument.self, from: $0) }
        let items = try stored.map { task in
            JobItem(key: try task.key(in: tasks), state: task.state, outcome: task.outcome, detail: task.detail, attempts: task.attempts,
                    finishedAt: task.finishedAt)
        }
        let next = documents.count > limit ? try stored.last.map { try $0.position(in: tasks) } : nil
        return (items, next)
    }

    /// Claims up to `limit` due tasks for `lease`. `owner` must be fresh for every claim: the tasks won
    /// are read back by it.
    public func claim(limit: Int, owner: String, lease: Duration, now: Date = Date()) async throws -> [ClaimedTask] {
        let due: BSONDocument = ["state": .string(JobItem.State.queued.rawValue), "dueAt": ["$lte": .date(now)]]
        var won: [BSONDocument] = []
        // When each abandoned task had started, as read before the claim clears it.
        var startedAt: [String: Date] = [:]
        // Claimers running at once see the same oldest tasks and all but one lose them. A loser tries
        // the next due tasks at once instead of idling until its next poll (each lost round means
        // another claimer won, so this ends).
        for _ in 0..<Self.claimRounds where won.isEmpty {
            let candidates = try await tasks.find(due, options: .init(sort: ["priority": 1, "turn": 1, "dueAt": 1], limit: limit,
                                                                      projection: ["_id": 1, "startedAt": 1]))
            let ids = candidates.compactMap { $0["_id"] }
            guard !ids.isEmpty else { return [] }
            for candidate in candidates {
                if let id = candidate["_id"]?.stringValue, let started = candidate["startedAt"]?.dateValue { startedAt[id] = started }
            }
            var filter = due
            filter["_id"] = ["$in": .array(ids)]
            let claim: BSONDocument = ["owner": .string(owner), "dueAt": .date(now.addingTimeInterval(lease.seconds))]
            // Started and neither finished nor given back: the attempt failed or crashed its worker. Each
            // document matches one of the two updates (the first makes it no longer due).
            var abandoned = filter
            abandoned["startedAt"] = ["$exists": true]
            try await tasks.updateMany(abandoned, [
                "$set": .document(claim), "$unset": ["startedAt": ""], "$inc": ["attempts": 1, "failures": 1],
            ])
            var fresh = filter
            fresh["startedAt"] = ["$exists": false]
            try await tasks.updateMany(fresh, ["$set": .document(claim), "$inc": ["attempts": 1]])
            won = try await tasks.find(["owner": .string(owner), "state": .string(JobItem.State.queued.rawValue)])
        }
        var claimed: [ClaimedTask] = []
        for document in won {
            do {
                claimed.append(try claimedTask(document, owner: owner, startedAt: startedAt))
            } catch let error as StorageError {
                // No worker can do a task that does not read: it ends failed, saying why, so its job completes.
                try await tasks.updateOne(["_id": document["_id"] ?? .null, "owner": .string(owner)], ["$set": [
                    "state": .string(JobItem.State.done.rawValue), "outcome": .string(TaskOutcome.failed.rawValue),
                    "detail": .string(String(error.description.prefix(1000))), "finishedAt": .date(now),
                ], "$unset": ["owner": ""]])
                if let jobID = document["jobId"]?.stringValue { try await completeIfFinished(jobID, now: now) }
            }
        }
        return claimed
    }

    /// A task as claimed; `startedAt`: when abandoned attempts had started, as read before the claim.
    private func claimedTask(_ document: BSONDocument, owner: String, startedAt: [String: Date]) throws -> ClaimedTask {
        let task = try tasks.decode(TaskDocument.self, from: document)
        let failures = task.failures ?? 0
        return ClaimedTask(
            id: task._id, owner: owner, jobID: task.jobId, key: try task.key(in: tasks), force: task.force, priority: task.priority,
            attempts: task.attempts, deferrals: task.deferrals, jobCreatedAt: task.jobCreatedAt, failures: failures,
            lastFailure: failures == 0 ? nil : task.lastFailure ?? startedAt[task._id].map {
                "the worker stopped during the attempt started at \($0.formatted(.iso8601)) (it crashed, or its lease ran out)"
            },
            progress: task.progress
        )
    }

    /// Marks a claimed task started. False when it is no longer this claim's to start: its scan deferred
    /// it while it waited in a worker's queue, or its lease ran out and another worker took it.
    /// An earlier attempt's failure is forgotten here: what a failure of this one leaves is its own.
    public func start(_ task: ClaimedTask, now: Date = Date()) async throws -> Bool {
        try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner), "state": .string(JobItem.State.queued.rawValue)],
                                  ["$set": ["startedAt": .date(now)], "$unset": ["lastFailure": ""]]).matchedCount == 1
    }

    /// Notes why a started attempt failed, for the reason given if the task ends up failed. The task stays
    /// started, and its lease runs out: the next claim counts the failure.
    public func noteFailure(_ task: ClaimedTask, reason: String) async throws {
        try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner)],
                                  ["$set": ["lastFailure": .string(String(reason.prefix(1000)))]])
    }

    /// Extends a lease still held. False when it was lost (expired and taken by another worker).
    @discardableResult
    public func renew(_ task: ClaimedTask, lease: Duration, now: Date = Date()) async throws -> Bool {
        try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner)],
                                  ["$set": ["dueAt": .date(now.addingTimeInterval(lease.seconds))]]).matchedCount == 1
    }

    /// Records a task's outcome if the lease is still held. False when it was lost.
    @discardableResult
    /// `event` is written in the same update (the outbox): the outcome is never recorded without it.
    public func finish(_ task: ClaimedTask, outcome: TaskOutcome, detail: String?, event: WebhookEvent? = nil, now: Date = Date()) async throws -> Bool {
        var set: BSONDocument = [
            "state": .string(JobItem.State.done.rawValue),
            "outcome": .string(outcome.rawValue),
            "finishedAt": .date(now),
        ]
        if let detail { set["detail"] = .string(detail) }
        if let event {
            set["event"] = .document(event.document)
            set["relay"] = true
        }
        return try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner)],
                                         ["$set": .document(set), "$unset": ["owner": "", "progress": ""]]).matchedCount == 1
    }

    /// Puts a task back in the queue, due at `dueAt` (a throttled entity, or work given back at shutdown).
    /// A deferral starts the lookup over; work given back keeps the progress of an earlier postponement.
    @discardableResult
    public func requeue(_ task: ClaimedTask, dueAt: Date, deferred: Bool, detail: String? = nil) async throws -> Bool {
        var set: BSONDocument = ["dueAt": .date(dueAt)]
        if let detail { set["detail"] = .string(detail) }
        var unset: BSONDocument = ["owner": "", "startedAt": ""]
        if deferred { unset["progress"] = "" }
        var update: BSONDocument = ["$set": .document(set), "$unset": .document(unset)]
        if deferred { update["$inc"] = ["deferrals": 1] }
        return try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner)], update).matchedCount == 1
    }

    /// Puts a task whose lookup waits for a provider's budget back in the queue, due `until`, with how far
    /// it got. Neither a deferral nor an attempt: its claim is not counted.
    @discardableResult
    public func postpone(_ task: ClaimedTask, until: Date, progress: LookupProgress?, detail: String) async throws -> Bool {
        var set: BSONDocument = ["dueAt": .date(until), "detail": .string(detail)]
        if let progress { set["progress"] = .document(try BSONEncoder().encode(progress)) }
        return try await tasks.updateOne(["_id": .string(task.id), "owner": .string(task.owner)], [
            "$set": .document(set),
            "$unset": ["owner": "", "startedAt": ""],
            "$inc": ["attempts": -1],
        ]).matchedCount == 1
    }

    /// Finishes the job's queued tasks no worker has started as `deferred` (left unmarked for a later run),
    /// those claimed into a worker's queue included: a scan that reached its run time stops taking entities
    /// this way. Returns how many were deferred.
    @discardableResult
    public func deferQueued(_ jobID: String, detail: String, now: Date = Date()) async throws -> Int {
        try await tasks.updateMany(
            ["jobId": .string(jobID), "state": .string(JobItem.State.queued.rawValue), "startedAt": ["$exists": false]],
            ["$set": [
                "state": .string(JobItem.State.done.rawValue), "outcome": .string(TaskOutcome.deferred.rawValue),
                "detail": .string(detail), "finishedAt": .date(now),
            ], "$unset": ["owner": ""]]
        ).modifiedCount
    }

    /// How many of a job's tasks were deferred with `detail`.
    public func countDeferred(_ jobID: String, detail: String) async throws -> Int {
        try await tasks.countDocuments(["jobId": .string(jobID), "state": .string(JobItem.State.done.rawValue),
                                        "outcome": .string(TaskOutcome.deferred.rawValue), "detail": .string(detail)])
    }

    /// Marks a job completed once every one of its tasks is written and none is queued. True only for the
    /// call that completed it. With events on, the job-completed event is written in the same update.
    @discardableResult
    public func completeIfFinished(_ jobID: String, now: Date = Date()) async throws -> Bool {
        let queued = try await tasks.countDocuments(["jobId": .string(jobID), "state": .string(JobItem.State.queued.rawValue)])
        guard queued == 0, let job = try await job(jobID), job.status == .running, job.expansion?.done ?? true else { return false }
        let counts = try await counts(jobID)
        // The job document is written before its tasks: until they all are, it is not finished.
        guard counts.queued == 0, counts.finished == job.total else { return false }
        var set: BSONDocument = ["status": .string(EnrichmentJob.Status.completed.rawValue), "completedAt": .date(now)]
        if let events {
            set["event"] = .document(try events.jobCompleted(job, counts: counts, now: now).document)
            set["relay"] = true
        }
        return try await jobs.updateOne(
            ["_id": .string(jobID), "status": .string(EnrichmentJob.Status.running.rawValue)],
            ["$set": .document(set)]
        ).modifiedCount == 1
    }

    /// Where an outbox event waits: the task or the job whose state change made it.
    enum EventSource: Sendable, Hashable {
        case task(String)
        case job(String)
    }

    /// Events not yet relayed to their deliveries, tasks' first.
    func pendingEvents(limit: Int) async throws -> [(source: EventSource, event: WebhookEvent)] {
        var pending: [(source: EventSource, event: WebhookEvent)] = []
        for (collection, source) in [(tasks, EventSource.task), (jobs, EventSource.job)] where pending.count < limit {
            pending += Self.outboxEvents(try await collection.find(["relay": true], options: .init(limit: limit - pending.count)), source: source)
        }
        return pending
    }

    /// A job's entity events not yet relayed.
    func pendingEntityEvents(of jobID: String, limit: Int) async throws -> [(source: EventSource, event: WebhookEvent)] {
        Self.outboxEvents(try await tasks.find(["relay": true, "jobId": .string(jobID)], options: .init(limit: limit)), source: EventSource.task)
    }

    private static func outboxEvents(_ documents: [BSONDocument], source: (String) -> EventSource) -> [(source: EventSource, event: WebhookEvent)] {
        documents.compactMap { document in
            guard let id = document["_id"]?.stringValue, let event = WebhookEvent(document: document["event"]?.documentValue) else { return nil }
            return (source(id), event)
        }
    }

    func markRelayed(_ sources: [EventSource]) async throws {
        var taskIDs: [BSONValue] = [], jobIDs: [BSONValue] = []
        for source in sources {
            switch source {
            case .task(let id): taskIDs.append(.string(id))
            case .job(let id): jobIDs.append(.string(id))
            }
        }
        for (collection, ids) in [(tasks, taskIDs), (jobs, jobIDs)] where !ids.isEmpty {
            try await collection.updateMany(["_id": ["$in": .array(ids)]], ["$unset": ["relay": ""]])
        }
    }

    /// Completes running jobs whose work all finished (a process that died between its last task and
    /// the job's completion leaves one behind).
    public func completeFinishedJobs(now: Date = Date()) async throws {
        let running = try await jobs.find(["status": .string(EnrichmentJob.Status.running.rawValue)], options: .init(projection: ["_id": 1]))
        for job in running {
            if let id = job["_id"]?.stringValue { try await completeIfFinished(id, now: now) }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        let (whole, fraction) = components
        return TimeInterval(whole) + TimeInterval(fraction) / 1e18
    }
}

/// A job as `enrichment_jobs` holds it (its outbox fields, `event` and `relay`, are the relay's).
struct JobDocument: Codable {
    var _id: String
    var status: EnrichmentJob.Status
    var force: Bool
    var callbackUrl: String?
    var total: Int
    var createdAt: Date
    var completedAt: Date?
    var filter: EntityFilter?
    var expansion: ExpansionDocument?
    var positionWidth: Int?

    /// A filter job's expansion: where it stopped and who writes its next page.
    struct ExpansionDocument: Codable {
        var matched: Int
        var done: Bool
        /// The `_id` of the last entity written as a task.
        var cursor: String?
        /// The next `turn` of each media type (by name).
        var turns: [String: Int]?
        /// The process expanding it, and until when its lease runs.
        var owner: String?
        var until: Date?
    }

    var job: EnrichmentJob {
        var job = EnrichmentJob(id: _id, status: status, force: force, callbackUrl: callbackUrl, total: total, createdAt: createdAt,
                                completedAt: completedAt, filter: filter, expansion: expansion.map { .init(matched: $0.matched, done: $0.done) })
        job.positionWidth = positionWidth ?? JobStore.listPositionWidth
        return job
    }
}

/// A task as `enrichment_tasks` holds it (its outbox fields, `event` and `relay`, are the relay's).
struct TaskDocument: Codable {
    /// `<job id>/<position, four digits or more>`.
    var _id: String
    var jobId: String
    /// The entity's document id, `<media type>/<id>`.
    var entity: String
    var force: Bool
    var priority: JobPriority
    var jobCreatedAt: Date
    var state: JobItem.State
    var dueAt: Date
    var attempts: Int
    var deferrals: Int
    var failures: Int?
    var lastFailure: String?
    var startedAt: Date?
    var owner: String?
    var outcome: TaskOutcome?
    var detail: String?
    var finishedAt: Date?
    var progress: LookupProgress?

    func key(in collection: MongoCollection) throws(StorageError) -> EntityKey {
        guard let key = EntityKey(documentID: entity) else {
            throw .corruptDocument(collection: collection.name, id: _id, reason: "'\(entity)' is not an entity key")
        }
        return key
    }

    func position(in collection: MongoCollection) throws(StorageError) -> Int {
        guard let position = _id.split(separator: "/").last.flatMap({ Int($0) }) else {
            throw .corruptDocument(collection: collection.name, id: _id, reason: "the id has no position")
        }
        return position
    }
}
