import EnricherCore
import Enrichment

/// Tasks this instance's workers finished, by media type and outcome.
struct LookupMetrics: Sendable {
    let metrics: ServiceMetrics

    func finished(_ mediaType: MediaType, _ outcome: TaskOutcome) {
        metrics.counter(MetricCatalog.lookups, ["media_type": mediaType.rawValue, "outcome": outcome.rawValue]).increment()
    }
}

/// The queue of every instance, read from the database at scrape time: one aggregation over the
/// unfinished tasks only (`JobStore.queuedCounts`). Read when scraped rather than kept by a timer, so an
/// instance nobody scrapes asks nothing, and what is shown is the queue as it is, not as it was a period ago.
struct TaskQueueReader: ScrapeTimeReader {
    let jobs: JobStore

    func read(into metrics: ServiceMetrics) async throws {
        let counts = try await jobs.queuedCounts()
        var due = 0
        for (mediaType, states) in counts {
            for (state, count) in states {
                metrics.gauge(MetricCatalog.tasks, ["media_type": mediaType.rawValue, "state": state.rawValue]).record(count)
                if state == .due { due += count }
            }
        }
        metrics.gauge(MetricCatalog.queueDepth).record(due)
    }
}
