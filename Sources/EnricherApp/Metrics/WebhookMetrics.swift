import Enrichment
import Foundation

/// Webhook delivery attempts, by what became of the delivery.
struct WebhookMetrics: Sendable {
    let metrics: ServiceMetrics

    func attempted(_ status: WebhookDelivery.Status) {
        let outcome = switch status {
        case .delivered: "delivered"
        case .pending: "retry"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
        metrics.counter(MetricCatalog.webhookDeliveries, ["outcome": outcome]).increment()
    }
}

/// The age of the oldest delivery still to be sent, read from the database at scrape time (one indexed
/// query): a backlog ages with time alone, so no event could keep it current.
struct WebhookBacklogReader: ScrapeTimeReader {
    let store: WebhookStore

    func read(into metrics: ServiceMetrics) async throws {
        let age = try await store.oldestPending().map { max(0, Date().timeIntervalSince($0)) } ?? 0
        metrics.gauge(MetricCatalog.webhookOldestPending).record(age)
    }
}
