import CoreMetrics
import Logging
import Prometheus

/// One instance's metrics: a Prometheus registry of its own (the integration tests run several
/// instances in one process, so nothing goes through the global `MetricsSystem`), the swift-metrics
/// instruments over it, and the rendering of `/metrics`.
final class ServiceMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: CatalogMetricsFactory

    init() {
        factory = CatalogMetricsFactory(registry: registry)
    }

    func counter(_ metric: MetricDefinition, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: metric.name, dimensions: Self.dimensions(metric, labels), factory: factory)
    }

    func floatingPointCounter(_ metric: MetricDefinition, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.FloatingPointCounter {
        CoreMetrics.FloatingPointCounter(label: metric.name, dimensions: Self.dimensions(metric, labels), factory: factory)
    }

    func gauge(_ metric: MetricDefinition, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: metric.name, dimensions: Self.dimensions(metric, labels), factory: factory)
    }

    func timer(_ metric: MetricDefinition, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: metric.name, dimensions: Self.dimensions(metric, labels), factory: factory)
    }

    /// The labels in the catalog's order: a series is known by its labels in order.
    private static func dimensions(_ metric: MetricDefinition, _ labels: KeyValuePairs<String, String>) -> [(String, String)] {
        precondition(labels.map(\.key) == metric.labels, "\(metric.name) has labels \(metric.labels), not \(labels.map(\.key))")
        return labels.map { ($0.key, $0.value) }
    }

    /// Brings the scrape-time gauges up to date (a reader that fails is logged and its gauges keep their
    /// last values), then renders every metric in the text format.
    func render(reading readers: [any ScrapeTimeReader], logger: Logger) async -> [UInt8] {
        for reader in readers {
            do {
                try await reader.read(into: self)
            } catch {
                logger.warning("metrics not read for this scrape", metadata: ["reader": "\(type(of: reader))", "error": "\(error)"])
            }
        }
        return registry.emitToBuffer()
    }
}

/// Gauges read at scrape time (from the database or an actor) rather than kept up to date as things happen.
protocol ScrapeTimeReader: Sendable {
    func read(into metrics: ServiceMetrics) async throws
}

extension CoreMetrics.Timer {
    func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
