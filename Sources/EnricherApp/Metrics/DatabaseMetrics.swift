import MongoDB

/// How long database operations take, by kind of operation.
struct DatabaseMetrics: Sendable {
    let metrics: ServiceMetrics

    func record(_ operation: DatabaseOperation, _ duration: Duration) {
        metrics.timer(MetricCatalog.databaseOperationDuration, ["operation": operation.rawValue]).record(duration)
    }
}
