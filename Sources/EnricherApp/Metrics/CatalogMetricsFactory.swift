import CoreMetrics
import Prometheus

/// A swift-metrics factory over one instance's Prometheus registry that takes each metric's help text and
/// buckets from `MetricCatalog` (swift-prometheus' own factory writes no help text, which Prometheus'
/// linter refuses). A label not in the catalog is a programming error.
struct CatalogMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private func definition(_ label: String) -> (MetricDefinition, MetricNameDescriptor) {
        guard let definition = MetricCatalog.byName[label] else { preconditionFailure("\(label) is not in MetricCatalog") }
        return (definition, MetricNameDescriptor(metricName: definition.name, unitName: "", helpText: definition.help))
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (_, descriptor) = definition(label)
        return dimensions.isEmpty ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (_, descriptor) = definition(label)
        return dimensions.isEmpty ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        gauge(label, dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        precondition(!aggregate, "\(label): histograms are Timers here (durations in seconds)")
        return gauge(label, dimensions)
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Prometheus.Gauge {
        let (_, descriptor) = definition(label)
        return dimensions.isEmpty ? registry.makeGauge(descriptor: descriptor) : registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (definition, descriptor) = definition(label)
        guard case .histogram(let buckets) = definition.kind else { preconditionFailure("\(label) is not a histogram") }
        return dimensions.isEmpty
            ? registry.makeDurationHistogram(descriptor: descriptor, buckets: buckets)
            : registry.makeDurationHistogram(descriptor: descriptor, labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
