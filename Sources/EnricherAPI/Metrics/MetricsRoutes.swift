import HTTPCore

/// `GET /metrics`: the service's metrics in Prometheus' text format (0.0.4), for a Prometheus server
/// holding an API key or a metrics key. What is measured is the composition root's business: this
/// route only serves what `scrape` renders.
struct MetricsRoutes: Sendable {
    /// Renders every metric of this instance, reading what is read at scrape time first.
    let scrape: @Sendable () async -> [UInt8]

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(in router: inout Router) {
        router.add(.GET, "/metrics", access: .metrics) { [scrape] _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": Self.contentType, "Cache-Control": "no-store"], bytes: await scrape())
        }
    }
}
