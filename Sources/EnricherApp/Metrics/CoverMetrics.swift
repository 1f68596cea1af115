import EnricherCore
import Enrichment
import Images

/// Covers stored and the libvips work that made them, as the cover library reports them.
struct CoverMetrics: CoverObserver {
    let metrics: ServiceMetrics

    func processed(_ image: ProcessedImage) {
        metrics.counter(MetricCatalog.renditions).increment(by: image.renditions.count)
        metrics.timer(MetricCatalog.libvipsDuration).record(image.libvipsTime)
    }

    func stored(_ cover: StoredCover) {
        metrics.counter(MetricCatalog.coversStored).increment()
        metrics.counter(MetricCatalog.coverBytesStored).increment(by: cover.files.reduce(0) { $0 + $1.bytes })
    }
}
