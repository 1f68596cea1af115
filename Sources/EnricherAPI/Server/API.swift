import EnricherCore
import Enrichment
import HTTPCore

/// What the API serves from: the stores and services the composition root built.
public struct APIDependencies: Sendable {
    public var configuration: Configuration
    public var entities: EntityRepository
    public var jobs: JobStore
    public var covers: CoverStore
    public var scans: ScanService
    public var webhooks: WebhookStore
    public var registry: ProviderRegistry
    public var chains: ProviderChains
    /// Wakes the workers when a job is queued.
    public var signal: WorkSignal
    /// The live event streams (the composition root closes them at shutdown).
    public var streams: EventStreams
    /// Throws when the service cannot do its work (`/readyz`).
    public var readiness: @Sendable () async throws -> Void
    /// True for errors that mean "unavailable for now" (answered 503 with Retry-After).
    public var isTransient: @Sendable (any Error) -> Bool
    /// This instance's metrics in Prometheus' text format (`/metrics`).
    public var metrics: @Sendable () async -> [UInt8]

    public init(configuration: Configuration, entities: EntityRepository, jobs: JobStore, covers: CoverStore, scans: ScanService,
                webhooks: WebhookStore, registry: ProviderRegistry, chains: ProviderChains,
                signal: WorkSignal, streams: EventStreams, readiness: @escaping @Sendable () async throws -> Void,
                isTransient: @escaping @Sendable (any Error) -> Bool, metrics: @escaping @Sendable () async -> [UInt8]) {
        self.metrics = metrics
        self.configuration = configuration
        self.entities = entities
        self.jobs = jobs
        self.covers = covers
        self.scans = scans
        self.webhooks = webhooks
        self.registry = registry
        self.chains = chains
        self.signal = signal
        self.streams = streams
        self.readiness = readiness
        self.isTransient = isTransient
    }
}

extension APIHandler {
    /// Every route of the API, each with the access it declares.
    public init(_ dependencies: APIDependencies) {
        let configuration = dependencies.configuration
        var router = Router()
        HealthRoutes(readiness: dependencies.readiness, configuration: configuration).register(in: &router)
        EntityRoutes(repository: dependencies.entities, limits: configuration.limits,
                     requeue: LookupRequeue(jobs: dependencies.jobs, signal: dependencies.signal)).register(in: &router)
        EnrichmentRoutes(jobs: dependencies.jobs, entities: dependencies.entities, signal: dependencies.signal,
                         maxEntities: configuration.jobs.maxEntities, filterMaxEntities: configuration.jobs.filterMaxEntities, limits: configuration.limits,
                         callbacksSigned: !configuration.webhooks.callbackSecrets.isEmpty).register(in: &router)
        ProviderRoutes(registry: dependencies.registry, chains: dependencies.chains,
                       selection: configuration.images.selection, outbound: configuration.outbound).register(in: &router)
        EventRoutes(streams: dependencies.streams).register(in: &router)
        ImageRoutes(covers: dependencies.covers).register(in: &router)
        CatalogSummaryRoutes(entities: dependencies.entities, covers: dependencies.covers, limits: configuration.limits).register(in: &router)
        StatusPageRoutes().register(in: &router)
        ScanRoutes(scans: dependencies.scans, limits: configuration.limits).register(in: &router)
        WebhookRoutes(store: dependencies.webhooks, limits: configuration.limits).register(in: &router)
        InboundRoutes(configuration: configuration, entities: dependencies.entities, jobs: dependencies.jobs,
                      inbox: dependencies.webhooks, signal: dependencies.signal).register(in: &router)
        MetricsRoutes(scrape: dependencies.metrics).register(in: &router)
        self.init(router: router, authenticator: Authenticator(keys: configuration.apiKeys),
                  metricsAuthenticator: Authenticator(keys: configuration.apiKeys + configuration.metricsKeys),
                  isTransient: dependencies.isTransient)
    }
}
