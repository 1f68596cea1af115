import HTTPCore

/// Requests the HTTP server answered: counted by method, route template and status, timed by method and
/// route template. The route is the template the router matched, never the path sent.
struct HTTPMetrics: Sendable {
    let metrics: ServiceMetrics

    /// Methods the API knows; any other token a client sends is counted as `other`.
    private static let methods: Set<String> = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"]

    func record(_ request: FinishedRequest) {
        let method = request.method.map { Self.methods.contains($0.rawValue) ? $0.rawValue : "other" } ?? "unknown"
        // No route: a path no route matches (404), or a request refused before it was read.
        let route = request.route ?? "unmatched"
        metrics.counter(MetricCatalog.httpRequests, ["method": method, "route": route, "status": String(request.status.code)]).increment()
        metrics.timer(MetricCatalog.httpRequestDuration, ["method": method, "route": route]).record(request.duration)
    }
}
