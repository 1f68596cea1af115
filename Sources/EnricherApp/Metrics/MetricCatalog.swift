/// One metric the service exposes: its name, kind, labels and help text. `MetricCatalog` lists every
/// one; the factory takes help and buckets from it, docs/metrics.md describes the same list, and the
/// metrics test checks that every name scraped is in it.
struct MetricDefinition: Sendable {
    enum Kind: Sendable {
        case counter
        case gauge
        /// In seconds, with these upper bounds.
        case histogram([Duration])
    }

    let name: String
    let kind: Kind
    /// Label names; every value is from a small fixed set (never an id, a path or a URL).
    let labels: [String]
    let help: String
}

/// Every metric, by concern. Names follow Prometheus' conventions: `enricher_` first, base units
/// (seconds, bytes) in the name, counters end in `_total`.
enum MetricCatalog {
    static let httpRequests = MetricDefinition(
        name: "enricher_http_requests_total", kind: .counter, labels: ["method", "route", "status"],
        help: "HTTP requests answered, by method, route template and status code.")
    static let httpRequestDuration = MetricDefinition(
        name: "enricher_http_request_duration_seconds", kind: .histogram(requestBuckets), labels: ["method", "route"],
        help: "Time from a request's header section to its answer written, by method and route template.")

    static let providerRequests = MetricDefinition(
        name: "enricher_provider_requests_total", kind: .counter, labels: ["provider", "outcome"],
        help: "Requests sent to a provider's API (each retry counts), by provider and outcome.")
    static let providerRequestDuration = MetricDefinition(
        name: "enricher_provider_request_duration_seconds", kind: .histogram(providerBuckets), labels: ["provider"],
        help: "Time a provider took to answer one request, by provider.")
    static let budgetWaits = MetricDefinition(
        name: "enricher_provider_budget_waits_total", kind: .counter, labels: ["provider"],
        help: "Requests that waited for a slot of the provider's rate budget before leaving.")
    static let budgetWaitSeconds = MetricDefinition(
        name: "enricher_provider_budget_wait_seconds_total", kind: .counter, labels: ["provider"],
        help: "Time requests spent waiting for a slot of the provider's rate budget.")
    static let breakerState = MetricDefinition(
        name: "enricher_provider_circuit_breaker_state", kind: .gauge, labels: ["provider", "state"],
        help: "1 for the state this instance's circuit breaker of the provider is in (closed, open, half-open), 0 for the others.")
    static let quotaUsed = MetricDefinition(
        name: "enricher_provider_daily_quota_used", kind: .gauge, labels: ["provider"],
        help: "Units of the provider's daily quota used today (UTC), shared by every instance.")
    static let quotaLimit = MetricDefinition(
        name: "enricher_provider_daily_quota_limit", kind: .gauge, labels: ["provider"],
        help: "The provider's daily quota.")

    static let tasks = MetricDefinition(
        name: "enricher_tasks", kind: .gauge, labels: ["media_type", "state"],
        help: "Unfinished enrichment tasks of every instance, by media type and state (due, claimed, waiting).")
    static let queueDepth = MetricDefinition(
        name: "enricher_task_queue_depth", kind: .gauge, labels: [],
        help: "Enrichment tasks due and waiting for a worker, all media types.")
    static let lookups = MetricDefinition(
        name: "enricher_lookups_total", kind: .counter, labels: ["media_type", "outcome"],
        help: "Enrichment tasks this instance finished, by media type and outcome.")

    static let coversStored = MetricDefinition(
        name: "enricher_covers_stored_total", kind: .counter, labels: [],
        help: "New covers stored (not ones found again by SHA-256 or perceptual hash).")
    static let coverBytesStored = MetricDefinition(
        name: "enricher_cover_stored_bytes_total", kind: .counter, labels: [],
        help: "Bytes of the files (original and renditions) of new covers stored.")
    static let renditions = MetricDefinition(
        name: "enricher_renditions_total", kind: .counter, labels: [],
        help: "Renditions made by libvips, for new covers and repairs.")
    static let libvipsDuration = MetricDefinition(
        name: "enricher_libvips_duration_seconds", kind: .histogram(imageBuckets), labels: [],
        help: "Time libvips took to make one image's original and renditions, on its thread.")

    static let webhookDeliveries = MetricDefinition(
        name: "enricher_webhook_delivery_attempts_total", kind: .counter, labels: ["outcome"],
        help: "Webhook delivery attempts, by outcome (delivered, retry, failed, cancelled).")
    static let webhookOldestPending = MetricDefinition(
        name: "enricher_webhook_oldest_pending_age_seconds", kind: .gauge, labels: [],
        help: "Age of the oldest webhook delivery not yet delivered nor given up (0 when none).")

    static let databaseOperationDuration = MetricDefinition(
        name: "enricher_database_operation_duration_seconds", kind: .histogram(databaseBuckets), labels: ["operation"],
        help: "Time a database operation took, waiting for a driver thread included, by kind of operation.")

    static let all: [MetricDefinition] = [
        httpRequests, httpRequestDuration,
        providerRequests, providerRequestDuration, budgetWaits, budgetWaitSeconds, breakerState, quotaUsed, quotaLimit,
        tasks, queueDepth, lookups,
        coversStored, coverBytesStored, renditions, libvipsDuration,
        webhookDeliveries, webhookOldestPending,
        databaseOperationDuration,
    ]

    static let byName: [String: MetricDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static func seconds(_ values: [Double]) -> [Duration] { values.map { .nanoseconds(Int64(($0 * 1e9).rounded())) } }
    static let requestBuckets = seconds([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    static let providerBuckets = seconds([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    static let imageBuckets = seconds([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    static let databaseBuckets = seconds([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
}
