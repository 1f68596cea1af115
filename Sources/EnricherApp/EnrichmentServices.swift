import Blocking
import EnricherCore
import Enrichment
import Foundation
import Images
import Logging
import MongoDB
import Outbound
import Resilience

/// Everything that finds covers, built from the configuration: the guarded HTTP client, the image
/// checks, the providers and their chains, the engine, the job queue and its workers.
struct EnrichmentServices: Sendable {
    let client: Outbound.HTTPClient
    let inspector: ImageInspector
    let registry: ProviderRegistry
    let chains: ProviderChains
    let jobs: JobStore
    let covers: CoverStore
    let signal: WorkSignal
    let worker: EnrichmentWorker
    let housekeeping: CoverHousekeeping
    /// Scheduled reconciliation of covers and entities; nil when `ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS` is off.
    let reconciliation: (reconciler: CoverReconciler, interval: Duration)?
    let scans: ScanService
    let webhooks: WebhookDispatcher

    /// Checks what the configuration reader cannot: provider names, chains, address ranges.
    static func validate(_ configuration: Configuration) throws(ConfigurationError) {
        _ = try ProviderCatalog.all.disabled(configuration.providers)
        _ = try chains(configuration)
        _ = try addressPolicy(configuration)
        for (key, value) in configuration.webhooks.secrets where WebhookSecret(value) == nil {
            throw .invalid(key: key.name, reason: "must be \(WebhookSecret.rule)")
        }
    }

    static func webhookSettings(_ configuration: Configuration) -> WebhookDispatcher.Settings {
        let webhooks = configuration.webhooks
        return WebhookDispatcher.Settings(
            callbackURL: webhooks.callbackURL, callbackSecrets: webhooks.callbackSecrets.compactMap(WebhookSecret.init),
            timeout: webhooks.timeout, policy: DeliveryPolicy(schedule: webhooks.schedule, jitter: webhooks.jitter),
            disableAfter: webhooks.disableAfter, workers: webhooks.workers, snippetBytes: webhooks.snippetBytes,
            retention: webhooks.retention, poll: .seconds(1), replayPageSize: webhooks.replayPageSize)
    }

    static func chains(_ configuration: Configuration) throws(ConfigurationError) -> ProviderChains {
        try ProviderChains(configuration.providers.chains, catalog: .all)
    }

    /// The media types scans cover: those whose chain has an enabled provider.
    static func scannedMediaTypes(_ configuration: Configuration) throws(ConfigurationError) -> [MediaType] {
        let enabled = ProviderCatalog.all.enabled(ProviderSettings(configuration.providers),
                                                  disabled: try ProviderCatalog.all.disabled(configuration.providers))
        return try chains(configuration).mediaTypes(servedBy: enabled)
    }

    static func scanSettings(_ configuration: Configuration) -> ScanService.Settings {
        ScanService.Settings(schedule: configuration.scans.schedule, timeZone: configuration.scans.timeZone,
                             batchSize: configuration.scans.batchSize, maxRuntime: configuration.scans.maxRuntime,
                             lease: configuration.jobs.lease, poll: min(configuration.jobs.poll, .seconds(1)))
    }

    /// Every rate budget, shared through the database: one per provider, and those of its hosts (Open Library's covers).
    static func budgets(_ configuration: Configuration, database: MongoDatabase) -> [String: ProviderBudget] {
        let resilience = configuration.resilience
        var budgets: [String: ProviderBudget] = [:]
        for (name, rate) in resilience.rates {
            let limit = RateLimiter.Rate(rate.count, per: rate.period)
            budgets[name] = ProviderBudget(
                name: name, egress: resilience.egressID,
                configuration: .init(rate: limit, burst: rate.burst, margin: resilience.margin(for: limit.emissionInterval)),
                database: database)
        }
        return budgets
    }

    /// Image downloads that spend a provider's budget, as each descriptor says (Open Library covers by
    /// ISBN, OCLC or LCCN have their own; the Cover Art Archive's count against MusicBrainz's).
    static func imageBudgets(_ settings: ProviderSettings, budgets: [String: ProviderBudget], defaultPause: Duration) -> ImageBudgets {
        var rules: [ImageBudgets.Rule] = []
        for provider in ProviderCatalog.all.descriptors {
            for imageBudget in provider.imageBudgets {
                guard let budget = budgets[imageBudget.budget] else { continue }
                rules += imageBudget.paths.map {
                    .init(prefix: settings[imageBudget.host] + $0, budget: budget, throttleStatuses: provider.imageThrottleStatuses)
                }
            }
        }
        return ImageBudgets(rules, defaultPause: defaultPause)
    }

    /// A budget and circuit breaker per provider, as configured.
    static func guards(_ configuration: Configuration, budgets: [String: ProviderBudget], database: MongoDatabase) -> [ProviderID: ProviderGuard] {
        let resilience = configuration.resilience
        var guards: [ProviderID: ProviderGuard] = [:]
        for id in ProviderCatalog.all.ids {
            guard let budget = budgets[id.rawValue] else { continue }
            let settings = ProviderGuard.Settings(
                breaker: .init(
                    slidingWindowSize: resilience.breakerWindow, minimumCalls: resilience.breakerMinimumCalls,
                    failureRateThreshold: resilience.breakerFailureRate,
                    slowCalls: resilience.breakerSlowCall.map { .init(duration: $0, rateThreshold: resilience.breakerSlowCallRate) },
                    waitDuration: resilience.breakerWait,
                    maxWaitDuration: resilience.breakerMaxWait, permittedCallsInHalfOpen: resilience.breakerProbes,
                    probeTimeout: configuration.outbound.providerTimeout * 2),
                retry: .init(maxAttempts: resilience.retryAttempts, base: resilience.retryBase, cap: resilience.retryCap),
                defaultPause: configuration.jobs.throttleDefaultRetry, maxInFlight: resilience.maxInFlight)
            let quota = resilience.dailyQuotas[id.rawValue].map { QuotaLedger(database: database, provider: id, limit: $0) }
            guards[id] = ProviderGuard(id: id, settings: settings, budget: budget, quota: quota)
        }
        return guards
    }

    /// The renditions, format and background as configured.
    static func renditionSettings(_ rules: Configuration.ImageRules) -> RenditionSettings {
        RenditionSettings(
            renditions: rules.renditions.map { RenditionSpec(name: $0.name, longSide: $0.longSide) },
            format: OutputFormat(rawValue: rules.format) ?? .jpeg,
            quality: rules.quality,
            background: RGB(hex: rules.background) ?? RGB(hex: "ffffff")!
        )
    }

    static func addressPolicy(_ configuration: Configuration) throws(ConfigurationError) -> AddressPolicy {
        var ranges: [AddressRange] = []
        for text in configuration.outbound.allow {
            guard let range = AddressRange(text) else {
                throw .invalid(key: ConfigurationKey.outboundAllow.name, reason: "'\(text)' is not an IP address or CIDR range")
            }
            ranges.append(range)
        }
        return AddressPolicy(allowed: ranges)
    }

    init(configuration: Configuration, database: MongoDatabase, logger: Logger) throws {
        let outbound = configuration.outbound
        if outbound.contact.isEmpty {
            logger.warning("ENRICHER_CONTACT is not set: MusicBrainz and Open Library throttle clients whose User-Agent names no contact")
        }
        client = Outbound.HTTPClient(configuration: .init(
            userAgent: EnricherVersion.userAgent(contact: outbound.contact),
            connectTimeout: outbound.connectTimeout,
            timeout: outbound.providerTimeout,
            maxResponseBytes: outbound.maxAPIResponseBytes,
            maxRedirects: outbound.maxRedirects,
            addressPolicy: try Self.addressPolicy(configuration),
            maxHostConnections: outbound.maxHostConnections,
            maxConnections: outbound.maxConnections,
            queueLimit: outbound.queueLimit
        ), logger: logger)
        let rules = configuration.images
        inspector = try ImageInspector(
            limits: ImageLimits(maxBytes: rules.maxBytes, maxPixels: rules.maxPixels, minShortSide: rules.minShortSide,
                                placeholderSHA256s: rules.placeholderSHA256s),
            threads: rules.threads, queueLimit: rules.queueLimit, maxWaiting: 4 * rules.queueLimit, logger: logger)
        let settings = ProviderSettings(configuration.providers)
        let budgets = Self.budgets(configuration, database: database)
        registry = ProviderRegistry(settings: settings, fetcher: client, logger: logger,
                                    disabled: try ProviderCatalog.all.disabled(configuration.providers),
                                    guards: Self.guards(configuration, budgets: budgets, database: database), callBudget: outbound.providerTimeout)
        chains = try Self.chains(configuration)
        jobs = JobStore(database: database, events: WebhookEvents(publicURL: configuration.webhooks.publicURL))
        covers = CoverStore(database: database)
        let library = CoverLibrary(store: covers, images: inspector, settings: Self.renditionSettings(rules),
                               duplicateDistance: rules.duplicateDistance)
        signal = WorkSignal()
        let eventSignal = WorkSignal()
        let entities = EntityRepository(database: database)
        housekeeping = CoverHousekeeping(store: covers, entities: entities, interval: rules.gcInterval, grace: rules.gcGrace,
                                         orphanGrace: rules.orphanGrace, logger: logger)
        if let interval = rules.reconcileInterval {
            reconciliation = (CoverReconciler(store: covers, library: library, entities: entities, logger: logger), interval)
        } else {
            reconciliation = nil
        }
        let engine = EnrichmentEngine(
            providers: registry, chains: chains,
            downloader: CandidateDownloader(fetcher: client, inspector: inspector, maxBytes: rules.maxBytes, timeout: outbound.imageTimeout,
                                            budgets: Self.imageBudgets(settings, budgets: budgets, defaultPause: configuration.jobs.throttleDefaultRetry)),
            library: library, entities: entities, selection: rules.selection == .best ? .best : .first,
            budgetWait: configuration.jobs.budgetWait, retries: configuration.scans.retries, logger: logger)
        let jobSettings = configuration.jobs
        worker = EnrichmentWorker(
            configuration: .init(workers: jobSettings.workers, queueSize: jobSettings.queueSize, lease: jobSettings.lease, poll: jobSettings.poll,
                                 maxDeferrals: jobSettings.throttleDeferrals, defaultRetry: jobSettings.throttleDefaultRetry,
                                 maxAttempts: jobSettings.maxAttempts),
            store: jobs, entities: entities, engine: engine, signal: signal, events: eventSignal, logger: logger)
        scans = ScanService(settings: Self.scanSettings(configuration), store: ScanStore(database: database), jobs: jobs,
                            entities: entities, signal: signal, mediaTypes: chains.mediaTypes(servedBy: Set(registry.enabled.keys)),
                            logger: logger)
        webhooks = WebhookDispatcher(settings: Self.webhookSettings(configuration), store: WebhookStore(database: database),
                                     log: EventLog(database: database), jobs: jobs,
                                     client: client, events: eventSignal, logger: logger)
    }

    func ensureIndexes() async throws {
        try await jobs.ensureIndexes()
        try await covers.ensureIndexes()
        try await scans.ensureIndexes()
        try await webhooks.store.ensureIndexes()
        try await webhooks.log.ensureIndexes()
    }

    /// Stops the transfer and image threads (after the workers have stopped). Joining them blocks until
    /// work in hand ends, so it happens on a thread of its own, not on the cooperative pool.
    func shutdown() async {
        let (client, inspector) = (self.client, self.inspector)
        await offCooperativePool {
            client.shutdown()
            inspector.shutdown()
        }
    }
}
