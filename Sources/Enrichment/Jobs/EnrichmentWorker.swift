import Blocking
import EnricherCore
import Foundation
import Logging
import MongoDB
import Synchronization

/// Runs queued enrichment work. A feeder claims due tasks from MongoDB in batches, with a lease, into a
/// bounded in-memory queue (`queueSize`; it claims only what fits, so nothing is loaded ahead of the
/// workers beyond that, and the leases of waiting tasks are renewed); `workers` loops take from it,
/// fairly across media types, enrich the entity and record the outcome. The lease is renewed while the
/// work runs. At shutdown, in-flight calls are cancelled and every task in hand or waiting is given back
/// to the queue rather than recorded half done. A task whose processing failed or crashed the worker
/// `maxAttempts` times is not tried again: it is finished as failed, with what is known of why.
public final class EnrichmentWorker: Sendable {
    public struct Configuration: Sendable {
        public var workers: Int
        public var queueSize: Int
        public var lease: Duration
        public var poll: Duration
        public var maxDeferrals: Int
        public var defaultRetry: Duration
        /// Failed or crashed attempts after which a task is finished as failed.
        public var maxAttempts: Int
        /// Entities a re-run by filter writes as tasks at a time, and at most in all.
        public var filterPageSize: Int
        public var filterMaxEntities: Int

        public init(workers: Int, queueSize: Int, lease: Duration, poll: Duration, maxDeferrals: Int, defaultRetry: Duration,
                    maxAttempts: Int, filterPageSize: Int = 250, filterMaxEntities: Int = 100_000) {
            self.filterPageSize = filterPageSize
            self.filterMaxEntities = filterMaxEntities
            self.workers = workers
            self.queueSize = queueSize
            self.lease = lease
            self.poll = poll
            self.maxDeferrals = maxDeferrals
            self.defaultRetry = defaultRetry
            self.maxAttempts = maxAttempts
        }
    }

    let configuration: Configuration
    let store: JobStore
    let entities: EntityRepository
    let engine: EnrichmentEngine
    let signal: WorkSignal
    /// Woken when an outcome or a job's completion wrote an event, so it is sent at once.
    let events: WorkSignal?
    /// Hears of every task this process finished, by media type and outcome (for metrics).
    let onFinished: (@Sendable (MediaType, TaskOutcome) -> Void)?
    let logger: Logger
    /// Distinguishes this process's claims from every other's.
    let instance = UUID().uuidString.lowercased()
    /// When tasks this process postponed become due, so the feeder claims them then and not at its next poll.
    private let postponedDue = Mutex<[Date]>([])

    public init(configuration: Configuration, store: JobStore, entities: EntityRepository, engine: EnrichmentEngine, signal: WorkSignal,
                events: WorkSignal? = nil, onFinished: (@Sendable (MediaType, TaskOutcome) -> Void)? = nil, logger: Logger) {
        self.events = events
        self.onFinished = onFinished
        self.configuration = configuration
        self.store = store
        self.entities = entities
        self.engine = engine
        self.signal = signal
        self.logger = logger
    }

    /// Works until cancelled.
    public func run() async {
        do {
            try await store.completeFinishedJobs()
        } catch {
            logger.warning("could not complete finished jobs at start-up", metadata: ["error": "\(error)"])
        }
        let queue = TaskQueue(capacity: configuration.queueSize)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.feed(queue) }
            group.addTask { await self.renewWaiting(queue) }
            group.addTask { await self.completeFinishedJobs() }
            group.addTask { await self.expandFilterJobs() }
            for _ in 0..<configuration.workers {
                group.addTask {
                    while let task = await queue.take() {
                        await self.process(task)
                        queue.finished(task)
                    }
                }
            }
        }
        // Stopped: claimed tasks no worker started go back to the queue, for the next process to take at once.
        let store = self.store
        for task in queue.close() {
            _ = try? await evenIfCancelled { try await store.requeue(task, dueAt: Date(), deferred: false) }
        }
    }

    /// Claims due work whenever the queue has room, as much as fits.
    private func feed(_ queue: TaskQueue) async {
        var claims = 0
        while !Task.isCancelled {
            let space = await queue.waitForSpace()
            guard space > 0 else { continue }
            claims += 1
            let mark = signal.mark
            do {
                // A claim once begun is finished even if the worker is stopped meanwhile, and what it took goes
                // to the queue (given back at once when the queue closes): cut off between its update and its
                // read, the tasks it took would stay owned until their lease ran out.
                let (store, owner, lease) = (self.store, "\(instance)-\(claims)", configuration.lease)
                let claimed = try await evenIfCancelled { try await store.claim(limit: space, owner: owner, lease: lease) }
                if claimed.isEmpty {
                    await signal.wait(timeout: untilNextDue(), since: mark)
                } else {
                    queue.push(claimed)
                }
                if Task.isCancelled { return }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not claim work", metadata: ["error": "\(error)"])
                await signal.wait(timeout: configuration.poll, since: mark)
            }
        }
    }

    /// Writes re-runs by filter as tasks, a page at a time whenever one runs low, waking the feeders after
    /// each page. Looks at least once a second (new jobs wake it at once): a page lasts longer than that.
    private func expandFilterJobs() async {
        let interval = max(configuration.poll, .seconds(1))
        while !Task.isCancelled {
            let mark = signal.mark
            do {
                if try await store.expandNext(owner: instance, lease: configuration.lease, pageSize: configuration.filterPageSize,
                                              maxEntities: configuration.filterMaxEntities, entities: entities) {
                    signal.wake()
                    continue
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not write a re-run's next page of tasks", metadata: ["error": "\(error)"])
            }
            await signal.wait(timeout: interval, since: mark)
        }
    }

    /// Completes, once a lease, jobs whose tasks all ended but that no worker completed (its process
    /// stopped between a job's last task and the job).
    private func completeFinishedJobs() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.lease)
            do {
                try await store.completeFinishedJobs()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not complete finished jobs", metadata: ["error": "\(error)"])
            }
        }
    }

    /// How long an idle feeder waits: its poll, or less when a task it postponed falls due sooner.
    private func untilNextDue() -> Duration {
        let now = Date()
        let next = postponedDue.withLock { due -> Date? in
            due.removeAll { $0 <= now }
            return due.min()
        }
        guard let next else { return configuration.poll }
        return min(configuration.poll, .milliseconds(Int64(next.timeIntervalSince(now) * 1000) + 1))
    }

    /// Keeps the leases of tasks waiting in the queue, every third of a lease.
    private func renewWaiting(_ queue: TaskQueue) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.lease / 3)
            for task in queue.buffered where !Task.isCancelled {
                _ = try? await store.renew(task, lease: configuration.lease)
            }
        }
    }

    private func process(_ task: ClaimedTask) async {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(task.jobID)"
        logger[metadataKey: "entity"] = "\(task.key)"
        do {
            // An entity this task only skips (looked up before and not due, the catalog's own cover, a
            // permanent failure) needs neither a start nor the lookup fence: nothing is recorded on it. Most
            // of a re-run without force is such entities; they cost a read and the finish.
            if let reason = try await skipReason(task) {
                try await record(task, outcome: .skipped, detail: reason, entity: nil, logger: logger)
                return
            }
            guard try await store.start(task) else {
                logger.debug("no longer queued for this claim (its scan stopped, or its lease ran out); not started")
                return
            }
            // From here only this claim may record the entity's lookup: a worker that lost the lease finds
            // its fence replaced and records nothing. When another job's task is looking the entity up right
            // now, this one joins it: back in the queue until that lookup is recorded, whose outcome it then
            // reports as its own (one lookup per entity at a time, every job told).
            if case .heldByOther = try await entities.fenceLookup(task.key, token: task.fenceToken, task: task.id, until: Date().addingTimeInterval(configuration.lease.seconds)) {
                let due = Date().addingTimeInterval((configuration.poll * 3).seconds)
                try await store.postpone(task, until: due, progress: task.progress, detail: "joined the lookup of this entity another job is running")
                postponedDue.withLock { $0.append(due) }
                return
            }
            // However this claim ends (recorded, put back, postponed, given back), its fence goes with it,
            // so the next claim of the entity does not wait for it to run out.
            defer {
                let (entities, key, token) = (self.entities, task.key, task.fenceToken)
                Task { _ = try? await entities.releaseFence(key, token: token) }
            }
            if task.failures >= configuration.maxAttempts {
                try await finishExhausted(task, logger: logger)
                return
            }
            let taskLogger = logger
            let outcome = try await withLeaseRenewed(task) {
                try await self.outcome(of: task, logger: taskLogger)
            }
            if case .deferred(let retryAfter, let reason) = outcome, task.deferrals < configuration.maxDeferrals {
                let wait = retryAfter ?? configuration.defaultRetry
                try await store.requeue(task, dueAt: Date().addingTimeInterval(wait.seconds), deferred: true,
                                        detail: "throttled, retrying in \(wait.components.seconds) s: \(reason)")
                return
            }
            let entity = outcome.taskOutcome.isFinal && store.events != nil ? try await entities.get(task.key) : nil
            try await record(task, outcome: outcome.taskOutcome, detail: outcome.detail, entity: entity, logger: logger)
        } catch let postponed as LookupPostponed {
            // Our own budget is busy: the worker takes other work, and the task comes back when a slot is
            // near, where it stopped. Not a throttle, not a deferral.
            do {
                try await store.postpone(task, until: postponed.until, progress: postponed.progress,
                                         detail: "waiting for \(postponed.provider.rawValue)'s rate budget")
                postponedDue.withLock { $0.append(postponed.until) }
            } catch {
                logger.error("could not postpone the task; it will be retried when its lease expires", metadata: ["error": "\(error)"])
            }
        } catch is LeaseLost {
            logger.warning("lease lost (expired, or could not be renewed in time); stopped without recording: another worker has the task")
        } catch let fenced as LookupFenced {
            let gone: Bool
            do { gone = try await entities.get(task.key) == nil } catch { gone = false }
            if gone {
                try? await record(task, outcome: .skipped, detail: "the entity was deleted", entity: nil, logger: logger)
            } else {
                logger.warning("another worker took the entity's lookup over; stopped without recording", metadata: ["detail": "\(fenced)"])
            }
        } catch where error is CancellationError || Task.isCancelled {
            // Shutting down (whatever the cancellation surfaced as: a call cut short reads as interrupted):
            // give the work back so the next process takes it at once.
            let store = self.store
            _ = try? await evenIfCancelled { try await store.requeue(task, dueAt: Date(), deferred: false) }
        } catch let interrupted as LookupInterrupted {
            await putBack(task, reason: interrupted.description, logger: logger)
        } catch let error as MongoError where error.isTransient {
            await putBack(task, reason: "database unavailable: \(error)", logger: logger)
        } catch {
            // A database failure, most likely: leave the lease to expire and the task to be taken again (the
            // next claim counts the attempt against ENRICHER_JOB_MAX_ATTEMPTS), saying why if it can.
            logger.error("enrichment failed; the task will be retried when its lease expires", metadata: ["error": "\(error)"])
            try? await store.noteFailure(task, reason: "\(error)")
        }
    }

    /// Puts back a task our own side failed (the database, the HTTP client): due again at the next poll,
    /// neither a deferral nor a failed attempt, and nothing recorded on the entity. The write is tried
    /// until it lands or the lease is about to run out (then the lease's end puts it back, counted).
    private func putBack(_ task: ClaimedTask, reason: String, logger: Logger) async {
        logger.warning("lookup interrupted by our side; put back to be done again", metadata: ["reason": "\(reason)"])
        let clock = ContinuousClock()
        let giveUp = clock.now + configuration.lease / 2
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await store.requeue(task, dueAt: Date().addingTimeInterval(configuration.poll.seconds), deferred: false,
                                        detail: "interrupted, to be done again: \(reason)")
                return
            } catch {
                guard clock.now + delay < giveUp else {
                    logger.error("could not put the task back; it is taken again when its lease expires", metadata: ["error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Records a finished task (with its `enrichment.entity.completed` event when the outcome is final)
    /// and completes its job when it was the last.
    private func record(_ task: ClaimedTask, outcome: TaskOutcome, detail: String, entity: Entity?, logger: Logger) async throws {
        var event: WebhookEvent?
        if let events = store.events, outcome.isFinal {
            event = try events.entityCompleted(task, outcome: outcome, entity: entity)
        }
        guard try await store.finish(task, outcome: outcome, detail: detail, event: event) else {
            logger.warning("lease lost before the outcome was recorded; another worker has the task")
            return
        }
        onFinished?(task.key.mediaType, outcome)
        if event != nil { events?.wake() }
        if try await store.completeIfFinished(task.jobID) {
            events?.wake()
            logger.info("job completed")
        }
    }

    /// Ends a task whose processing failed or crashed the worker `maxAttempts` times without trying again:
    /// failed, recorded on the entity like any failure (not permanent, so a forced run tries again), so its
    /// job completes and its events are sent. An entity that cannot be read is left as it is.
    private func finishExhausted(_ task: ClaimedTask, logger: Logger) async throws {
        let reason = "processing failed or crashed \(task.failures) times; last: \(task.lastFailure ?? "unknown")"
        logger.error("giving up on the entity", metadata: ["reason": "\(reason)"])
        let entity: Entity?
        do {
            entity = try await entities.get(task.key)
        } catch {
            logger.error("the entity cannot be read; finishing its task without recording the failure on it", metadata: ["error": "\(error)"])
            try await record(task, outcome: .failed, detail: reason, entity: nil, logger: logger)
            return
        }
        guard let entity else {
            try await record(task, outcome: .skipped, detail: "the entity was deleted", entity: nil, logger: logger)
            return
        }
        let lookup = engine.missLookup(.failed, reason: reason, for: entity, now: Date())
        try await entities.recordLookup(task.key, coverImage: entity.coverImage, imageLookup: lookup,
                                        existingCover: entity.draft.existingCover != nil, fence: task.fenceToken)
        var recorded = entity
        recorded.imageLookup = lookup
        try await record(task, outcome: .failed, detail: reason, entity: recorded, logger: logger)
    }

    /// Why the task skips its entity without looking it up, or nil when it must go on (to a lookup, to
    /// report a lookup recorded since its job was created, or to find the entity deleted).
    private func skipReason(_ task: ClaimedTask) async throws -> String? {
        guard let entity = try await entities.get(task.key) else { return nil }
        if let lookup = entity.imageLookup, lookup.lookupAttemptedAt >= task.jobCreatedAt { return nil }
        return EnrichmentEngine.skipReason(entity, force: task.force, now: Date())
    }

    /// What the task comes to. An entity whose lookup was recorded after this task's job was created (by
    /// an earlier attempt whose worker died, or by another job's task this one joined) is not looked up
    /// again: the recorded lookup is its outcome.
    private func outcome(of task: ClaimedTask, logger: Logger) async throws -> EnrichmentOutcome {
        guard let entity = try await entities.get(task.key) else {
            return .skipped(reason: "the entity was deleted")
        }
        if let lookup = entity.imageLookup, lookup.lookupAttemptedAt >= task.jobCreatedAt {
            logger.info("already looked up since this job was created; recording that outcome")
            if let cover = entity.coverImage, lookup.failureReason == nil { return .found(cover) }
            let reason = lookup.failureReason ?? ""
            return lookup.permanentFailure ? .permanent(reason: reason) : .notFound(reason: reason)
        }
        return try await engine.enrich(entity, force: task.force, resuming: task.progress, fence: task.fenceToken)
    }

    /// Runs `body` while renewing the task's lease every third of its length. Throws `LeaseLost` (and
    /// cancels `body`) when a renewal finds the lease taken, or when renewals failed until the lease could
    /// run out before the next one: then the task may be another worker's, and this one must stop.
    private func withLeaseRenewed<T: Sendable>(_ task: ClaimedTask, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                let clock = ContinuousClock()
                let lease = self.configuration.lease
                var heldUntil = clock.now + lease
                while true {
                    try await Task.sleep(for: lease / 3)
                    let asked = clock.now
                    do {
                        guard try await self.store.renew(task, lease: lease),
                              try await self.entities.renewFence(task.key, token: task.fenceToken, until: Date().addingTimeInterval(lease.seconds)) else {
                            throw LeaseLost()
                        }
                        heldUntil = asked + lease
                    } catch let error as LeaseLost {
                        throw error
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        if clock.now + lease / 3 >= heldUntil { throw LeaseLost() }
                    }
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}

/// The task's lease was lost, or could not be renewed before it would run out: its work stops unrecorded.
struct LeaseLost: Error {}
