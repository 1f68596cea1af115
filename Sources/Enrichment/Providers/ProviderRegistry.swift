import EnricherCore
import Logging
import Outbound
import Resilience

/// Whether a provider runs, and why not, as `GET /v1/providers` reports it.
public struct ProviderStatus: Sendable, Equatable, Codable {
    public var id: ProviderID
    public var enabled: Bool
    /// Why the provider is disabled; nil when it is enabled.
    public var reason: String?
    public var mediaTypes: [MediaType]
    /// Where it calls, as configured.
    public var baseURLs: [String]
    /// What the provider documents about its limits.
    public var documentedRateLimit: String

    public init(id: ProviderID, enabled: Bool, reason: String? = nil, mediaTypes: [MediaType], baseURLs: [String] = [], documentedRateLimit: String = "") {
        self.id = id
        self.enabled = enabled
        self.reason = reason
        self.mediaTypes = mediaTypes
        self.baseURLs = baseURLs
        self.documentedRateLimit = documentedRateLimit
    }
}

/// Builds every provider of the catalog from the settings, once, at start-up. A provider without its
/// credentials, or named in `ENRICHER_PROVIDERS_DISABLED`, is disabled with the reason, never half-configured.
public struct ProviderRegistry: Sendable {
    public let enabled: [ProviderID: any CoverProvider]
    /// Every provider of the catalog, enabled or not, in `ProviderID` order.
    public let status: [ProviderStatus]
    /// The barcode -> product lookup for `LookupContext`; nil when UPCitemdb is disabled.
    public let productLookup: LookupContext.ProductLookup?

    /// Each provider's rate limiter and circuit breaker; a provider without one is called unguarded.
    public let guards: [ProviderID: ProviderGuard]

    /// `guards` put each provider's API requests behind its rate limit (with retries of transient
    /// failures within `callBudget`) and its lookups behind its circuit breaker.
    public init(catalog: ProviderCatalog = .all, settings: ProviderSettings, fetcher shared: any HTTPFetching, logger: Logger,
                disabled: Set<ProviderID> = [], guards: [ProviderID: ProviderGuard] = [:], callBudget: Duration = .seconds(15)) {
        self.guards = guards
        var enabled: [ProviderID: any CoverProvider] = [:]
        var status: [ProviderStatus] = []
        for descriptor in catalog.descriptors.sorted(by: { $0.id < $1.id }) {
            let reason = descriptor.disabledReason(settings, disabled: disabled)
            if let reason {
                logger.notice("cover provider disabled", metadata: ["provider": "\(descriptor.id.rawValue)", "reason": "\(reason)"])
            } else {
                var fetcher = shared
                if let guardian = guards[descriptor.id] {
                    fetcher = GuardedFetcher(inner: shared, guardian: guardian, throttleStatuses: descriptor.throttleStatuses, budget: callBudget)
                }
                enabled[descriptor.id] = descriptor.make(settings: settings, fetcher: fetcher, logger: logger)
            }
            status.append(ProviderStatus(
                id: descriptor.id, enabled: reason == nil, reason: reason,
                mediaTypes: MediaType.allCases.filter(descriptor.mediaTypes.contains),
                baseURLs: descriptor.baseURLs(settings), documentedRateLimit: descriptor.documentedRateLimit
            ))
        }
        self.enabled = enabled
        self.status = status
        let names = status.filter(\.enabled).map(\.id.rawValue)
        if names.isEmpty {
            logger.warning("no cover provider is enabled: only entities' own imageUrl can give covers")
        } else {
            logger.info("cover providers enabled", metadata: ["providers": "\(names.joined(separator: ","))"])
        }
        if let upcItemDB = enabled[.upcItemDB] as? UPCItemDBProvider {
            // Whoever needs the product (TMDb for a title, UPCitemdb for its images), the request is
            // UPCitemdb's: its breaker admits it and its answer is recorded there.
            let guardian = guards[.upcItemDB]
            let lookup: LookupContext.ProductLookup = { barcode async throws(ProviderFailure) -> Product in
                try await Self.throughBreaker(guardian) { () async throws(ProviderFailure) -> Product in
                    try await upcItemDB.product(barcode: barcode)
                }
            }
            productLookup = lookup
        } else {
            productLookup = nil
        }
    }

    /// The enabled providers serving a media type, in `ProviderID` order.
    public func providers(for mediaType: MediaType) -> [any CoverProvider] {
        enabled.values.filter { $0.mediaTypes.contains(mediaType) }.sorted { $0.id < $1.id }
    }

    /// Asks one provider, through its circuit breaker: skipped while the breaker is open; the answer
    /// (transient failures against it, not-found for it, throttles neither) is recorded.
    public func lookUp(_ id: ProviderID, _ provider: any CoverProvider, query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        // UPCitemdb's one request is the product lookup, which passes its breaker on its own (whoever asks
        // first): guarding the lookup too would count each answer twice and take a second half-open probe.
        let guardian = id == .upcItemDB ? nil : guards[id]
        return try await Self.throughBreaker(guardian) { () async throws(ProviderFailure) -> [ImageCandidate] in
            try await provider.candidates(for: query, context: context)
        }
    }

    /// Runs `body` through `guardian`'s circuit breaker (directly without one): refused while it is open,
    /// its answer recorded.
    static func throughBreaker<T>(_ guardian: ProviderGuard?, _ body: () async throws(ProviderFailure) -> T) async throws(ProviderFailure) -> T {
        guard let guardian else { return try await body() }
        let ticket: CircuitBreaker.Ticket
        switch await guardian.admit() {
        case .rejected(let wait): throw .circuitOpen(retryAfter: wait)
        case .allowed(let admitted): ticket = admitted
        }
        let started = ContinuousClock.now
        do {
            let answer = try await body()
            await guardian.record(nil, ticket: ticket, duration: started.duration(to: .now))
            return answer
        } catch {
            await guardian.record(error, ticket: ticket, duration: started.duration(to: .now))
            throw error
        }
    }

    /// A context for one entity's trip through its chain, knowing the products found before it stopped
    /// to wait (when it resumes).
    public func makeContext(known: [String: Product] = [:]) -> LookupContext {
        LookupContext(productLookup: productLookup, known: known)
    }
}
