import Foundation
import Logging
import Outbound
import Resilience

/// One provider's resilience state: its rate budget, shared with every instance on the database (every
/// API request takes a slot; a throttle answer pauses it for everyone), and its circuit breaker, kept
/// per instance (judged per lookup: only transient failures count; not-found is a success; throttles
/// are not counted).
public actor ProviderGuard {
    public struct Settings: Sendable, Equatable {
        public var breaker: CircuitBreaker.Configuration
        public var retry: RetryPolicy
        /// Pause after a throttle answer that gave no Retry-After.
        public var defaultPause: Duration
        /// Most API requests in flight at once.
        public var maxInFlight: Int

        public init(breaker: CircuitBreaker.Configuration, retry: RetryPolicy, defaultPause: Duration, maxInFlight: Int) {
            self.breaker = breaker
            self.retry = retry
            self.defaultPause = defaultPause
            self.maxInFlight = maxInFlight
        }
    }

    public nonisolated let id: ProviderID
    public nonisolated let settings: Settings
    /// The provider's daily quota, when it has one.
    public nonisolated let quota: QuotaLedger?
    /// Requests in flight, at most `settings.maxInFlight`.
    public nonisolated let inFlight: InFlightLimit
    /// The provider's API budget, shared through the database.
    public nonisolated let budget: ProviderBudget
    /// Hears of every request sent and every wait for the budget.
    nonisolated let observer: (any ProviderObserver)?
    private var breaker: CircuitBreaker
    private let origin = ContinuousClock.now
    private let logger: Logger

    public init(id: ProviderID, settings: Settings, budget: ProviderBudget, quota: QuotaLedger? = nil,
                observer: (any ProviderObserver)? = nil, logger: Logger) {
        self.id = id
        self.observer = observer
        self.settings = settings
        self.budget = budget
        self.quota = quota
        self.logger = logger
        inFlight = InFlightLimit(limit: settings.maxInFlight)
        breaker = CircuitBreaker(configuration: settings.breaker)
    }

    private var now: Instant { Instant(ContinuousClock.now, since: origin) }

    /// The provider said "slow down": no request from any instance before `retryAfter` (or the default
    /// pause) has passed.
    nonisolated func pause(for retryAfter: Duration?) async {
        await budget.pause(for: retryAfter ?? settings.defaultPause)
    }

    /// Today's quota is used up: no request from any instance until it renews.
    nonisolated func quotaUsedUp(limit: Int) async {
        await budget.pause(for: QuotaLedger.untilReset(), reason: .dailyQuotaUsedUp(limit: limit))
    }

    // MARK: Breaker

    public enum Admission: Sendable {
        case allowed(CircuitBreaker.Ticket)
        /// The breaker is open: skip the provider until then.
        case rejected(retryAfter: Duration)
    }

    func admit() -> Admission {
        let at = now
        switch changingBreaker({ $0.permit(at: at) }) {
        case .allowed(let ticket): return .allowed(ticket)
        case .rejected(let retryAt): return .rejected(retryAfter: max(.zero, retryAt - at))
        }
    }

    func record(_ failure: ProviderFailure?, ticket: CircuitBreaker.Ticket, duration: Duration) {
        let outcome: CircuitBreaker.Outcome = switch failure {
        case nil, .notFound?: .success
        case .transient?: .failure
        case .throttled?, .configuration?, .circuitOpen?, .titleSourceUnavailable?, .interrupted?: .ignore
        }
        let at = now
        changingBreaker { $0.record(outcome, for: ticket, duration: duration, at: at) }
    }

    /// Applies `change` to the breaker and logs the transition it made, if any: once per transition, at
    /// notice, however many lookups were waiting on it.
    @discardableResult
    private func changingBreaker<T>(_ change: (inout CircuitBreaker) -> T) -> T {
        let before = breaker.status.state
        let result = change(&breaker)
        let after = breaker.status
        guard after.state != before else { return result }
        var metadata: Logger.Metadata = ["provider": "\(id.rawValue)", "from": "\(before.rawValue)"]
        switch after.state {
        case .open:
            if let rate = after.failureRate { metadata["failureRate"] = "\(Int((rate * 100).rounded())) %" }
            if let rate = after.slowCallRate { metadata["slowCallRate"] = "\(Int((rate * 100).rounded())) %" }
            if let probe = after.nextProbeAt { metadata["probeIn"] = "\(max(.zero, probe - now).components.seconds) s" }
            metadata["opens"] = "\(after.consecutiveOpens)"
            logger.notice("circuit breaker opened: the provider is skipped until its probe", metadata: metadata)
        case .halfOpen:
            logger.notice("circuit breaker half-open: probing the provider", metadata: metadata)
        case .closed:
            logger.notice("circuit breaker closed: the provider is called again", metadata: metadata)
        }
        return result
    }

    // MARK: Status

    public struct Status: Sendable {
        public var breaker: CircuitBreaker.Status
        /// Seconds until the next probe, when open.
        public var nextProbeIn: Duration?
        public var tokensAvailable: Double
        /// Time left of a throttle pause, when paused.
        public var pausedFor: Duration?
    }

    /// The breaker's state now (no database read, unlike `status()`).
    public func breakerState() -> CircuitBreaker.Status.StateName {
        let at = now
        // Through `changingBreaker`, so a scrape that moves it from open to half-open logs the change.
        changingBreaker { $0.tick(at: at) }
        return breaker.status.state
    }

    public func status() async -> Status {
        let budget = await self.budget.status()
        let at = now
        changingBreaker { $0.tick(at: at) }
        let status = breaker.status
        return Status(
            breaker: status,
            nextProbeIn: status.nextProbeAt.map { max(.zero, $0 - at) },
            tokensAvailable: budget.tokensAvailable,
            pausedFor: budget.pausedFor
        )
    }
}

/// A provider's view of the HTTP client: every request waits for an in-flight place and a slot of the
/// provider's shared budget first (and a unit of the daily quota, when there is one); a throttle
/// status pauses the provider for every instance; transient failures (transport errors, 5xx) are
/// retried with backoff and full jitter while attempts and the call's time allow. Time spent waiting for
/// our own budget is not the call's: the call's time starts when its first request may leave.
struct GuardedFetcher: HTTPFetching {
    let inner: any HTTPFetching
    let guardian: ProviderGuard
    let throttleStatuses: Set<Int>
    /// The whole call's time once its first request may leave, retries included.
    let budget: Duration

    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        var deadline: ContinuousClock.Instant?
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let step: Step
            do {
                step = try await guardian.inFlight.run { await self.attempt(request, deadline: &deadline) }
            } catch {
                throw .cancelled
            }
            let result: Result<OutboundResponse, OutboundError>
            switch step {
            case .final(let response): return response
            case .failed(let error): throw error
            case .late: continue
            case .sent(let sent): result = sent
            }
            let transient: Bool = switch result {
            case .success(let response): response.status >= 500
            case .failure(.timeout), .failure(.connectTimeout), .failure(.connection): true
            case .failure: false
            }
            guard transient, let deadline, let delay = guardian.settings.retry.delay(beforeRetry: attempt, using: &generator),
                  RetryPolicy.fits(delay, remaining: ContinuousClock.now.duration(to: deadline), minimumAttemptTime: Self.minimumAttemptTime),
                  !Task.isCancelled else {
                return try result.get()
            }
            try? await Task.sleep(for: delay)
            attempt += 1
        }
    }

    private enum Step {
        /// An answer to give the provider as is (a throttle, real or ours).
        case final(OutboundResponse)
        /// Not sent: it could not leave within its slot; a new slot is taken (not a retry).
        case late
        case failed(OutboundError)
        /// The request was sent: its response or transport error, which may be retried.
        case sent(Result<OutboundResponse, OutboundError>)
    }

    /// One attempt, holding an in-flight place: a slot of the budget, a unit of the daily quota, the
    /// request. The first slot starts the call's time (`deadline`).
    private func attempt(_ request: OutboundRequest, deadline: inout ContinuousClock.Instant?) async -> Step {
        // Backoff before a retry may have used the call's time: then the request is not sent (it could
        // not finish, and would spend a unit of quota and count as a failure).
        if let deadline, ContinuousClock.now.duration(to: deadline) < Self.minimumAttemptTime {
            return .failed(.timeout)
        }
        // The quota first: the slot is taken as late as possible, right before the request leaves.
        if let quota = guardian.quota {
            let taken: Bool
            do { taken = try await quota.take() } catch { return .failed(.unavailable("daily quota ledger: \(error)")) }
            guard taken else {
                // Used up for today: no more requests (nor ledger updates) until the quota renews.
                await guardian.quotaUsedUp(limit: quota.limit)
                return .final(Self.throttled(request, retryAfter: QuotaLedger.untilReset().components.seconds))
            }
        }
        let slot: ProviderBudget.Slot
        do {
            slot = try await guardian.budget.take(longestPause: budget)
            if slot.waited > .zero { guardian.observer?.waitedForBudget(guardian.id, duration: slot.waited) }
        } catch is CancellationError {
            return .failed(.cancelled)
        } catch let paused as ProviderBudget.Paused {
            // The provider asked for a long pause (or its daily quota is used up): its throttle, as it
            // would answer it itself (429 is a throttle for all).
            return .final(Self.throttled(request, retryAfter: max(1, paused.remaining.components.seconds + 1)))
        } catch {
            return .failed(.unavailable("\(error)"))
        }
        let deadline = deadline ?? {
            let started = ContinuousClock.now + budget
            deadline = started
            return started
        }()
        var attemptRequest = request
        let remaining = ContinuousClock.now.duration(to: deadline)
        attemptRequest.timeout = min(request.timeout ?? remaining, remaining)
        attemptRequest.leaveBy = slot.leaveBy
        attemptRequest.notBefore = slot.notBefore
        let result: Result<OutboundResponse, OutboundError>
        let sent = max(ContinuousClock.now, slot.notBefore)
        do { result = .success(try await inner.send(attemptRequest)) } catch { result = .failure(error) }
        // Not sent: the machine was too slow to send it within its slot. Nothing reached the provider.
        if case .failure(.late) = result { return .late }
        guardian.observer?.requestFinished(guardian.id, outcome: ProviderRequestOutcome(result, throttleStatuses: throttleStatuses),
                                           duration: sent.duration(to: .now))
        if case .success(let response) = result, throttleStatuses.contains(response.status) {
            await guardian.pause(for: ProviderHTTP.retryAfter(response))
            return .final(response)
        }
        return .sent(result)
    }

    /// Less time than this left in the call: no attempt is started.
    static let minimumAttemptTime: Duration = .milliseconds(50)

    private static func throttled(_ request: OutboundRequest, retryAfter seconds: Int64) -> OutboundResponse {
        OutboundResponse(status: 429, headers: [("Retry-After", "\(seconds)")], body: [], url: request.url)
    }

}
