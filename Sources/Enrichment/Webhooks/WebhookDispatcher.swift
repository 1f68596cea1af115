import Blocking
import EnricherCore
import Foundation
import Logging
import Outbound

/// Sends events. A relay moves each event from the outbox (the task or job document whose state change
/// made it) into the event log the live streams read (`EventLog`) and into one delivery per destination:
/// the job's callback URL (or the configured default) and every subscription to its type. Workers claim due deliveries with a lease and post them, signed the
/// Standard Webhooks way, without following redirects; only a 2xx is a success. A failure is tried again
/// on the schedule (honouring Retry-After), a 410 disables the endpoint, and so does a long run of
/// failures. Every attempt is recorded. Replays run here too, in the background, a page at a time.
public final class WebhookDispatcher: Sendable {
    public struct Settings: Sendable {
        public var callbackURL: String?
        public var callbackSecrets: [WebhookSecret]
        public var timeout: Duration
        public var policy: DeliveryPolicy
        public var disableAfter: Duration
        public var workers: Int
        public var snippetBytes: Int
        /// Events and finished deliveries older than this are deleted.
        public var retention: Duration
        /// How often the relay looks for events written by other processes, idle workers for due retries,
        /// and the replay runner for replays.
        public var poll: Duration
        /// Events a replay reads, and deliveries it queues, at once.
        public var replayPageSize: Int
        /// How long a replay stays with the runner that took it without word from it (renewed after every
        /// page): a dead process's replay is taken over after this.
        public var replayLease: Duration

        public init(callbackURL: String?, callbackSecrets: [WebhookSecret], timeout: Duration, policy: DeliveryPolicy, disableAfter: Duration,
                    workers: Int, snippetBytes: Int, retention: Duration, poll: Duration, replayPageSize: Int = 100, replayLease: Duration = .seconds(30)) {
            self.callbackURL = callbackURL
            self.callbackSecrets = callbackSecrets
            self.timeout = timeout
            self.policy = policy
            self.disableAfter = disableAfter
            self.workers = workers
            self.snippetBytes = snippetBytes
            self.retention = retention
            self.poll = poll
            self.replayPageSize = replayPageSize
            self.replayLease = replayLease
        }
    }

    /// A receiver's answer beyond this is not read.
    static let maxResponseBytes = 65_536

    public let settings: Settings
    public let store: WebhookStore
    /// Where every event goes first, in order, for the live streams.
    public let log: EventLog
    let jobs: JobStore
    let client: any HTTPFetching
    let logger: Logger
    let instance = UUID().uuidString.lowercased()
    /// Woken when events are written (by the workers in this process); otherwise the relay polls.
    public let events: WorkSignal
    /// Woken when the relay queued deliveries.
    let queued = WorkSignal()
    /// Hears of every recorded attempt, by the delivery's status after it (`pending`: tried again later).
    let onAttempt: (@Sendable (WebhookDelivery.Status) -> Void)?
    /// Woken when the relay appended events to the log: this instance's event streams wait on it.
    public let logged = WorkSignal()

    public init(settings: Settings, store: WebhookStore, log: EventLog, jobs: JobStore, client: any HTTPFetching, events: WorkSignal,
                onAttempt: (@Sendable (WebhookDelivery.Status) -> Void)? = nil, logger: Logger) {
        self.events = events
        self.onAttempt = onAttempt
        self.settings = settings
        self.store = store
        self.log = log
        self.jobs = jobs
        self.client = client
        self.logger = logger
    }

    /// Relays, delivers and replays until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    let mark = self.events.mark
                    var relayed = 0
                    do { relayed = try await self.relay() } catch is CancellationError {
                        return
                    } catch {
                        self.logger.warning("could not relay events", metadata: ["error": "\(error)"])
                    }
                    if relayed > 0 {
                        self.logged.wake()
                        self.queued.wake()
                    }
                    if relayed < 100 {
                        await self.events.wait(timeout: self.settings.poll, since: mark)
                        // Events come in bursts (a job's entities finish together): gather a batch.
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            for index in 0..<settings.workers {
                group.addTask { await self.deliverLoop(index) }
            }
            group.addTask { await self.runReplays() }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        let before = Date().addingTimeInterval(-self.settings.retention.seconds)
                        let pruned = try await self.store.prune(before: before) + self.log.prune(before: before)
                        if pruned > 0 { self.logger.info("old webhook events and deliveries deleted", metadata: ["documents": "\(pruned)"]) }
                    } catch is CancellationError {
                        return
                    } catch {
                        self.logger.warning("could not delete old webhook events", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: .seconds(3600))
                }
            }
        }
    }

    /// Moves a batch of events from the outbox into the event log and into deliveries; returns how many.
    /// An event with no destination (no callback, no subscription to its type) is only logged. An event
    /// is marked relayed only once it is in the log, so the log misses none.
    func relay(limit: Int = 100) async throws -> Int {
        var pending: [(source: JobStore.EventSource, event: WebhookEvent)] = []
        for item in try await jobs.pendingEvents(limit: limit) {
            if item.event.type == .jobCompleted {
                // The job's last entity events may have been written after this batch's tasks were read:
                // they go first, so a job's stream never sees its end before all of its entities. At most a
                // batch of them: when there are more, the job's own event waits for a later round.
                let stragglers = try await jobs.pendingEntityEvents(of: item.event.jobID, limit: limit)
                let known = Set(pending.map(\.source))
                pending.append(contentsOf: stragglers.filter { !known.contains($0.source) })
                if stragglers.count == limit { continue }
            }
            pending.append(item)
        }
        guard !pending.isEmpty else { return 0 }
        try await log.append(pending.map(\.event))
        var callbacks: [String: String?] = [:]
        var subscribers: [WebhookEventType: [WebhookEndpoint]] = [:]
        for (_, event) in pending {
            if subscribers[event.type] == nil { subscribers[event.type] = try await store.subscribers(to: event.type) }
            var endpoints = subscribers[event.type] ?? []
            if callbacks[event.jobID] == nil {
                callbacks[event.jobID] = .some(try await jobs.job(event.jobID)?.callbackUrl ?? settings.callbackURL)
            }
            if let url = callbacks[event.jobID] ?? nil, !settings.callbackSecrets.isEmpty {
                let callback = try await store.callbackEndpoint(url: url)
                if callback.enabled { endpoints.append(callback) }
            }
            if !endpoints.isEmpty { try await store.enqueue(event, to: endpoints) }
        }
        try await jobs.markRelayed(pending.map(\.source))
        return pending.count
    }

    /// Deliveries one worker claims at once (one claim's database round trips serve them all).
    static let claimBatch = 8

    private func deliverLoop(_ index: Int) async {
        var claims = 0
        while !Task.isCancelled {
            claims += 1
            let mark = queued.mark
            let claimed: [WebhookDelivery]
            // A lease covers one attempt; each delivery's is extended right before its attempt. So the
            // deliveries of a process that died are free again one attempt's time after, not a batch's.
            let lease = settings.timeout + .seconds(5)
            var leaseEnds = ContinuousClock.now + lease
            do {
                claimed = try await store.claim(limit: Self.claimBatch, owner: "\(instance)-\(index)-\(claims)", lease: lease)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not claim deliveries", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: settings.poll)
                continue
            }
            guard !claimed.isEmpty else {
                await queued.wait(timeout: settings.poll, since: mark)
                continue
            }
            var endpoints: [String: WebhookEndpoint?] = [:]
            for delivery in claimed {
                if endpoints[delivery.endpointID] == nil {
                    do {
                        endpoints[delivery.endpointID] = .some(try await store.endpoint(delivery.endpointID))
                    } catch {
                        // Unknown is not gone: give the delivery back rather than cancel it.
                        logger.warning("could not read a webhook endpoint", metadata: ["endpoint": "\(delivery.endpointID)", "error": "\(error)"])
                    }
                }
                guard !Task.isCancelled, let endpoint = endpoints[delivery.endpointID] else {
                    let store = self.store
                    _ = try? await evenIfCancelled { try await store.release(delivery) }
                    continue
                }
                if ContinuousClock.now + settings.timeout + .seconds(1) > leaseEnds {
                    let asked = ContinuousClock.now
                    // Lost (its lease ran out while earlier ones were sent, and another worker took it): theirs now.
                    guard (try? await store.extend(delivery, lease: lease)) == true else { continue }
                    leaseEnds = asked + lease
                }
                await deliver(delivery, to: endpoint)
            }
        }
    }

    /// One attempt at a claimed delivery to `endpoint` (nil: it is gone), and its record.
    func deliver(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint?) async {
        var logger = self.logger
        logger[metadataKey: "webhookId"] = "\(delivery.id)"
        logger[metadataKey: "endpoint"] = "\(delivery.endpointID)"
        do {
            guard let endpoint, endpoint.enabled else {
                let attempt = WebhookDelivery.Attempt(at: Date(), statusCode: nil, latencyMs: 0, response: nil, error: "endpoint disabled or deleted")
                try await settle(delivery, attempt: attempt, status: .cancelled, retryAt: nil, detail: "the endpoint is disabled or was deleted")
                return
            }
            let secrets = endpoint.kind == .subscription ? [endpoint.secret.flatMap(WebhookSecret.init)].compactMap { $0 } : settings.callbackSecrets
            let now = Date()
            let timestamp = Int64(now.timeIntervalSince1970)
            let body = Array(delivery.body.utf8)
            let request = OutboundRequest(
                method: "POST", url: delivery.url,
                headers: [("Content-Type", "application/json"), ("webhook-id", delivery.id), ("webhook-timestamp", "\(timestamp)"),
                          ("webhook-signature", WebhookSignature.header(id: delivery.id, timestamp: timestamp, body: body, secrets: secrets))],
                body: body, maxResponseBytes: Self.maxResponseBytes, timeout: settings.timeout, followRedirects: false)
            let clock = ContinuousClock()
            let started = clock.now
            let result: Result<OutboundResponse, OutboundError>
            do { result = .success(try await client.send(request)) } catch { result = .failure(error) }
            let latency = started.duration(to: clock.now)
            if case .failure(.cancelled) = result {
                let store = self.store
                try await evenIfCancelled { try await store.release(delivery) }
                return
            }
            try await record(delivery, endpoint: endpoint, result: result, at: now, latency: latency, logger: logger)
        } catch {
            logger.error("delivery bookkeeping failed; the delivery is tried again when its lease ends", metadata: ["error": "\(error)"])
        }
    }

    /// Records an attempt and the delivery's status after it.
    private func settle(_ delivery: WebhookDelivery, attempt: WebhookDelivery.Attempt, status: WebhookDelivery.Status, retryAt: Date?,
                        detail: String?) async throws {
        try await store.record(delivery, attempt: attempt, status: status, retryAt: retryAt, detail: detail)
        onAttempt?(status)
    }

    private func record(_ delivery: WebhookDelivery, endpoint: WebhookEndpoint, result: Result<OutboundResponse, OutboundError>,
                        at now: Date, latency: Duration, logger: Logger) async throws {
        var attempt = WebhookDelivery.Attempt(at: now, statusCode: nil, latencyMs: Int(latency.seconds * 1000), response: nil, error: nil)
        var retryAfter: Duration?
        switch result {
        case .success(let response):
            attempt.statusCode = response.status
            attempt.response = String(decoding: response.body.prefix(settings.snippetBytes), as: UTF8.self)
            if (200..<300).contains(response.status) {
                try await settle(delivery, attempt: attempt, status: .delivered, retryAt: nil, detail: nil)
                try await store.recordSuccess(endpoint.id)
                logger.info("webhook delivered", metadata: ["status": "\(response.status)", "attempt": "\(delivery.attemptsThisRound + 1)"])
                return
            }
            if response.status == 410 {
                let reason = "the receiver answered 410 Gone"
                try await settle(delivery, attempt: attempt, status: .failed, retryAt: nil, detail: reason)
                try await store.disable(endpoint.id, reason: reason)
                logger.notice("webhook endpoint disabled", metadata: ["reason": "\(reason)"])
                return
            }
            if response.status == 429 || response.status == 503 { retryAfter = ProviderHTTP.retryAfter(response, now: now) }
            if (300..<400).contains(response.status) { attempt.error = "redirects are not followed" }
        case .failure(.timeout):
            attempt.error = "timed out: no answer within \(settings.timeout.components.seconds) s (ENRICHER_WEBHOOK_TIMEOUT_SECONDS)"
        case .failure(let error):
            attempt.error = "\(error)"
        }
        var random = SystemRandomNumberGenerator()
        let made = delivery.attemptsThisRound + 1
        let retryAt = settings.policy.nextAttempt(after: made, now: Date(), retryAfter: retryAfter, using: &random)
        let detail = retryAt == nil ? "gave up after \(made) attempts (ENRICHER_WEBHOOK_RETRY_SCHEDULE)" : nil
        try await settle(delivery, attempt: attempt, status: retryAt == nil ? .failed : .pending, retryAt: retryAt, detail: detail)
        logger.warning("webhook delivery failed", metadata: [
            "status": "\(attempt.statusCode.map(String.init) ?? "none")", "error": "\(attempt.error ?? "")", "attempt": "\(made)",
            "retryAt": "\(retryAt?.ISO8601Format() ?? "never")",
        ])
        if let reason = try await store.recordFailure(endpoint.id, disableAfter: settings.disableAfter) {
            logger.notice("webhook endpoint disabled", metadata: ["reason": "\(reason)"])
        }
    }
}
