import Blocking
import EnricherCore
import Foundation
import Logging
import Scheduling

/// Scans: runs on the schedule and on request, each taking up to `batchSize` entities that await a
/// lookup (never looked up, or due again by the retry schedule), split fairly across the media types with an enabled provider, as one enrichment job of scan
/// priority (on-demand work goes first). A run stops taking entities at its deadline; the entities it
/// had not started are left unmarked for the next scan. Runs never overlap: each holds the scan lock.
public final class ScanService: Sendable {
    public struct Settings: Sendable {
        /// nil: no scheduled runs.
        public var schedule: CronExpression?
        public var timeZone: TimeZone
        public var batchSize: Int
        public var maxRuntime: Duration
        /// The scan lock's lease; the running process renews it.
        public var lease: Duration
        /// How often a running scan looks at its job.
        public var poll: Duration

        public init(schedule: CronExpression?, timeZone: TimeZone, batchSize: Int, maxRuntime: Duration, lease: Duration, poll: Duration) {
            self.schedule = schedule
            self.timeZone = timeZone
            self.batchSize = batchSize
            self.maxRuntime = maxRuntime
            self.lease = lease
            self.poll = poll
        }
    }

    public let settings: Settings
    let store: ScanStore
    let jobs: JobStore
    let entities: EntityRepository
    let signal: WorkSignal
    /// The media types with at least one enabled provider.
    public let mediaTypes: [MediaType]
    let logger: Logger
    let instance = UUID().uuidString.lowercased()
    private let started: AsyncStream<ScanRun>
    private let startedContinuation: AsyncStream<ScanRun>.Continuation

    public init(settings: Settings, store: ScanStore, jobs: JobStore, entities: EntityRepository, signal: WorkSignal,
                mediaTypes: [MediaType], logger: Logger) {
        self.settings = settings
        self.store = store
        self.jobs = jobs
        self.entities = entities
        self.signal = signal
        self.mediaTypes = mediaTypes
        self.logger = logger
        (started, startedContinuation) = AsyncStream.makeStream()
    }

    static let stoppedDetail = "the scan reached its run time (ENRICHER_SCAN_MAX_RUNTIME_SECONDS); left unmarked for the next scan"

    public func ensureIndexes() async throws {
        try await store.ensureIndexes()
    }

    /// What a scan would take now.
    public func plan(force: Bool, now: Date = Date()) async throws -> ScanPlan {
        try await Self.plan(entities: entities, mediaTypes: mediaTypes, batchSize: settings.batchSize, force: force, now: now)
    }

    public static func plan(entities: EntityRepository, mediaTypes: [MediaType], batchSize: Int, force: Bool,
                            now: Date = Date()) async throws -> ScanPlan {
        var pending: [(mediaType: MediaType, pending: Int)] = []
        for mediaType in mediaTypes {
            pending.append((mediaType, try await entities.countAwaitingLookup(mediaType, includingFailed: force, now: now)))
        }
        return ScanPlan(mediaTypes: mediaTypes, batchSize: batchSize, force: force,
                        pending: Dictionary(uniqueKeysWithValues: pending.map { ($0.mediaType, $0.pending) }),
                        allocation: BatchAllocator(batchSize: batchSize).allocate(pending))
    }

    /// Starts a run now and returns it as recorded; its lookups go on in the background.
    /// Throws `ScanError.alreadyRunning` while another run holds the lock.
    public func start(trigger: ScanRun.Trigger, force: Bool, now: Date = Date()) async throws -> ScanRun {
        let id = ScanRun.newID()
        let owner = "\(instance)/\(id)"
        guard try await store.acquireLock(scanID: id, owner: owner, lease: settings.lease, now: now) else {
            let holder = try await store.lockHolder(now: now)
            throw ScanError.alreadyRunning(scanID: holder?.scanID, since: holder?.since)
        }
        do {
            let plan = try await plan(force: force, now: now)
            var keys: [[EntityKey]] = []
            for mediaType in plan.mediaTypes {
                keys.append(try await entities.awaitingLookup(mediaType, includingFailed: force, limit: plan.allocation[mediaType] ?? 0, now: now))
            }
            var run = ScanRun(id: id, trigger: trigger, force: force, status: .running, startedAt: now,
                              deadline: now.addingTimeInterval(settings.maxRuntime.seconds),
                              pending: plan.pending, allocation: plan.allocation)
            let interleaved = Self.interleave(keys)
            if interleaved.isEmpty {
                run.status = .completed
                run.finishedAt = now
                run.counts = JobCounts()
                run.detail = "no entity awaits a lookup"
                try await store.insert(run)
                try await store.releaseLock(owner: owner)
            } else {
                run.jobID = try await jobs.create(keys: interleaved, force: force, callbackUrl: nil, priority: .scan, now: now).id
                try await store.insert(run)
                signal.wake()
                startedContinuation.yield(run)
            }
            logger.info("scan started", metadata: [
                "scan": "\(id)", "trigger": "\(trigger.rawValue)", "entities": "\(interleaved.count)",
                "allocation": "\(plan.mediaTypes.map { "\($0.rawValue)=\(plan.allocation[$0] ?? 0)" }.joined(separator: " "))",
            ])
            return run
        } catch {
            try? await store.releaseLock(owner: owner)
            throw error
        }
    }

    /// The latest runs, newest first.
    public func recent(limit: Int) async throws -> [ScanRun] {
        try await store.recent(limit: limit)
    }

    public func find(_ id: String) async throws -> ScanRun? {
        try await store.run(id)
    }

    /// What a run's lookups came to: as recorded when it finished, live while it runs.
    public func counts(of run: ScanRun) async throws -> JobCounts {
        if let counts = run.counts { return counts }
        guard let jobID = run.jobID else { return JobCounts() }
        return try await jobs.counts(jobID)
    }

    /// One of each media type in turn, so concurrent workers spread over the providers.
    static func interleave(_ lists: [[EntityKey]]) -> [EntityKey] {
        var result: [EntityKey] = []
        for index in 0..<(lists.map(\.count).max() ?? 0) {
            for list in lists where index < list.count { result.append(list[index]) }
        }
        return result
    }

    /// Until cancelled: takes over runs a stopped process left running, starts runs on the schedule, and
    /// sees every run to its end (or its deadline).
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    await self.adoptOrphans()
                    try? await Task.sleep(for: self.settings.lease)
                }
            }
            if let schedule = settings.schedule {
                let trigger = ScanTrigger(schedule: schedule, timeZone: settings.timeZone)
                if let next = trigger.nextRun {
                    logger.info("scans scheduled", metadata: ["schedule": "\(schedule)", "timeZone": "\(settings.timeZone.identifier)",
                                                              "nextRun": "\(next.ISO8601Format())"])
                }
                group.addTask { await trigger.run { _ in await self.startScheduled() } }
            } else {
                logger.info("scheduled scans are off (ENRICHER_SCAN_SCHEDULE=off); POST /v1/scans starts one")
            }
            for await run in started {
                group.addTask { await self.supervise(run, owner: "\(self.instance)/\(run.id)") }
            }
        }
    }

    private func startScheduled() async {
        do {
            _ = try await start(trigger: .scheduled, force: false)
        } catch let error as ScanError {
            logger.warning("scheduled scan skipped", metadata: ["reason": "\(error)"])
        } catch {
            logger.error("scheduled scan could not start", metadata: ["error": "\(error)"])
        }
    }

    /// Runs recorded as running whose lock is free: their process stopped. This one sees them through.
    /// (Looked for at start and then once a lease, since a lock a dead process held frees itself then.)
    private func adoptOrphans() async {
        do {
            for run in try await store.running() {
                let owner = "\(instance)/\(run.id)"
                guard try await store.acquireLock(scanID: run.id, owner: owner, lease: settings.lease) else { continue }
                logger.info("taking over a scan a stopped process left running", metadata: ["scan": "\(run.id)"])
                startedContinuation.yield(run)
            }
        } catch is CancellationError {
            return
        } catch {
            logger.warning("could not look for scans left running", metadata: ["error": "\(error)"])
        }
    }

    /// Holds the lock while the run's job works; at the deadline defers what was not started. On
    /// cancellation (shutdown) lets the lock go and leaves the run running for the next process.
    private func supervise(_ run: ScanRun, owner: String) async {
        var logger = self.logger
        logger[metadataKey: "scan"] = "\(run.id)"
        guard let jobID = run.jobID else { return }
        var reachedDeadline = false
        while !Task.isCancelled {
            do {
                let now = Date()
                if let job = try await jobs.job(jobID), job.status == .completed {
                    let counts = try await jobs.counts(jobID)
                    // Read from the tasks, so a process that took the run over after its deadline agrees.
                    let stopped = try await jobs.countDeferred(jobID, detail: Self.stoppedDetail) > 0
                    try await store.finish(run.id, status: stopped ? .stopped : .completed, counts: counts,
                                           detail: stopped ? Self.stoppedDetail : nil)
                    try await store.releaseLock(owner: owner)
                    logger.info("scan finished", metadata: ["status": "\(stopped ? "stopped" : "completed")", "found": "\(counts.found)",
                                                            "notFound": "\(counts.notFound)", "deferred": "\(counts.deferred)"])
                    return
                }
                if now >= run.deadline && !reachedDeadline {
                    let deferred = try await jobs.deferQueued(jobID, detail: Self.stoppedDetail, now: now)
                    try await jobs.completeIfFinished(jobID, now: now)
                    reachedDeadline = true
                    logger.notice("scan reached its run time; entities not started wait for the next scan", metadata: ["deferred": "\(deferred)"])
                    continue
                }
                guard try await store.renewLock(owner: owner, lease: settings.lease) else {
                    // The lease ran out and another process took the run over: it supervises it now.
                    logger.warning("scan lock lost; another process sees the scan through")
                    return
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("scan bookkeeping failed; trying again", metadata: ["error": "\(error)"])
            }
            let untilDeadline = Date().distance(to: run.deadline)
            let wait = reachedDeadline || untilDeadline <= 0 ? settings.poll : min(settings.poll, .seconds(untilDeadline))
            try? await Task.sleep(for: wait)
        }
        let store = self.store
        _ = try? await evenIfCancelled { try await store.releaseLock(owner: owner) }
    }
}
