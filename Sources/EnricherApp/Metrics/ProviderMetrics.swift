import Enrichment
import Resilience

/// Requests to providers' APIs and waits for their budgets, as the provider guards report them.
struct ProviderMetrics: ProviderObserver {
    let metrics: ServiceMetrics

    func requestFinished(_ provider: ProviderID, outcome: ProviderRequestOutcome, duration: Duration) {
        metrics.counter(MetricCatalog.providerRequests, ["provider": provider.rawValue, "outcome": outcome.rawValue]).increment()
        metrics.timer(MetricCatalog.providerRequestDuration, ["provider": provider.rawValue]).record(duration)
    }

    func waitedForBudget(_ provider: ProviderID, duration: Duration) {
        metrics.counter(MetricCatalog.budgetWaits, ["provider": provider.rawValue]).increment()
        metrics.floatingPointCounter(MetricCatalog.budgetWaitSeconds, ["provider": provider.rawValue]).increment(by: duration.inSeconds)
    }
}

/// Each provider's circuit breaker (this instance's) and daily quota (shared), read at scrape time: the
/// breaker's state changes with time alone (open becomes half-open), and the quota with every instance's
/// requests, so neither can be kept current by this instance's events. One read per provider with a quota.
struct ProviderStateReader: ScrapeTimeReader {
    let guards: [ProviderID: ProviderGuard]

    func read(into metrics: ServiceMetrics) async throws {
        for (id, guardian) in guards {
            let state = await guardian.breakerState()
            for name in [CircuitBreaker.Status.StateName.closed, .open, .halfOpen] {
                metrics.gauge(MetricCatalog.breakerState, ["provider": id.rawValue, "state": name.rawValue]).record(name == state ? 1 : 0)
            }
            if let quota = guardian.quota {
                metrics.gauge(MetricCatalog.quotaUsed, ["provider": id.rawValue]).record(try await quota.used())
                metrics.gauge(MetricCatalog.quotaLimit, ["provider": id.rawValue]).record(quota.limit)
            }
        }
    }
}
