import EnricherCore
import Foundation
import Logging

/// Runs queued enrichment work: a fixed number of loops, each claiming one due task at a time with a
/// lease, enriching its entity, and recording the outcome. The lease is renewed while the work runs;
/// at shutdown, work in hand is given back to the queue rather than recorded half done.
///
/// This is the seam the scheduler builds on: it decides what is queued; rate limits and breakers sit
/// in front of the providers.
public final class EnrichmentWorker: Sendable {
    public struct Configuration: Sendable {
        public var workers: Int
        public var lease: Duration
        public var poll: Duration
        public var maxDeferrals: Int
        public var defaultRetry: Duration

        public init(workers: Int, lease: Duration, poll: Duration, maxDeferrals: Int, defaultRetry: Duration) {
            self.workers = workers
            self.lease = lease
            self.poll = poll
            self.maxDeferrals = maxDeferrals
            self.defaultRetry = defaultRetry
        }
    }

    let configuration: Configuration
    let store: JobStore
    let entities: EntityRepository
    let engine: EnrichmentEngine
    let signal: WorkSignal
    let logger: Logger
    /// Distinguishes this process's claims from every other's.
    let instance = UUID().uuidString.lowercased()

    public init(configuration: Configuration, store: JobStore, entities: EntityRepository, engine: EnrichmentEngine, signal: WorkSignal, logger: Logger) {
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
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<configuration.workers {
                group.addTask { await self.loop(index) }
            }
        }
    }

    private func loop(_ index: Int) async {
        var claims = 0
        while !Task.isCancelled {
            claims += 1
            let owner = "\(instance)-\(index)-\(claims)"
            let claimed: [ClaimedTask]
            do {
                claimed = try await store.claim(limit: 1, owner: owner, lease: configuration.lease)
            } catch {
                logger.warning("could not claim work", metadata: ["error": "\(error)"])
                await signal.wait(timeout: configuration.poll)
                continue
            }
            guard let task = claimed.first else {
                await signal.wait(timeout: configuration.poll)
                continue
            }
            await process(task, owner: owner)
        }
    }

    private func process(_ task: ClaimedTask, owner: String) async {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(task.jobID)"
        logger[metadataKey: "entity"] = "\(task.key)"
        do {
            let taskLogger = logger
            let outcome = try await withLeaseRenewed(task, owner: owner) {
                try await self.outcome(of: task, logger: taskLogger)
            }
            if case .deferred(let retryAfter, let reason) = outcome, task.deferrals < configuration.maxDeferrals {
                let wait = retryAfter ?? configuration.defaultRetry
                try await store.requeue(task, owner: owner, dueAt: Date().addingTimeInterval(wait.seconds), deferred: true,
                                        detail: "throttled, retrying in \(wait.components.seconds) s: \(reason)")
                return
            }
            guard try await store.finish(task, owner: owner, outcome: outcome.taskOutcome, detail: outcome.detail) else {
                logger.warning("lease lost before the outcome was recorded; another worker has the task")
                return
            }
            if try await store.completeIfFinished(task.jobID) {
                logger.info("job completed")
            }
        } catch is CancellationError {
            // Shutting down: give the work back so the next process takes it at once.
            _ = try? await store.requeue(task, owner: owner, dueAt: Date(), deferred: false)
        } catch {
            // A database failure: leave the lease to expire and the task to be taken again.
            logger.error("enrichment failed; the task will be retried when its lease expires", metadata: ["error": "\(error)"])
        }
    }

    /// What the task comes to. A task claimed before by a worker that died after recording the entity's
    /// lookup is not looked up again: the recorded lookup is its outcome.
    private func outcome(of task: ClaimedTask, logger: Logger) async throws -> EnrichmentOutcome {
        guard let entity = try await entities.get(task.key) else {
            return .skipped(reason: "the entity was deleted")
        }
        if task.attempts > 1, let lookup = entity.imageLookup, lookup.lookupAttemptedAt >= task.jobCreatedAt {
            logger.info("already looked up for this job by an earlier attempt; recording that outcome")
            if let cover = entity.coverImage, lookup.failureReason == nil { return .found(cover) }
            let reason = lookup.failureReason ?? ""
            return lookup.permanentFailure ? .permanent(reason: reason) : .notFound(reason: reason)
        }
        return try await engine.enrich(entity, force: task.force)
    }

    /// Runs `body` while renewing the task's lease every third of its length.
    private func withLeaseRenewed<T: Sendable>(_ task: ClaimedTask, owner: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.configuration.lease / 3)
                    _ = try? await self.store.renew(task, owner: owner, lease: self.configuration.lease)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}
