import EnricherCore
import Enrichment
import HTTPCore

/// `GET /v1/providers`: each provider, whether it runs (and why not), where it lives, its limits,
/// and the chain each media type follows.
struct ProviderRoutes: Sendable {
    let registry: ProviderRegistry
    let chains: ProviderChains
    let selection: Configuration.ImageRules.Selection
    let outbound: Configuration.Outbound

    func register(in router: inout Router) {
        router.add(.GET, "/v1/providers", list)
    }

    struct Limits: Encodable {
        var callTimeoutSeconds: Int64
        var maxResponseBytes: Int
        /// As configured: "6 per 60 s".
        var rate: String
        var burst: Int
        var documentedRateLimit: String
    }

    /// The provider's resilience right now.
    struct Health: Encodable {
        /// closed, open or half-open.
        var breaker: String
        /// Failure rate over the breaker's window (0 to 1); null below its minimum number of calls.
        @Nullable var failureRate: Double?
        var callsInWindow: Int
        /// Seconds until an open breaker lets a probe through; null unless open.
        @Nullable var nextProbeInSeconds: Double?
        /// Requests that could be made back to back now (fractional while a slot refills).
        var tokensAvailable: Double
        /// Seconds left of a pause a throttle answer asked for; null when not paused.
        @Nullable var pausedForSeconds: Double?
        /// Calls counted against today's (UTC) quota, and the quota; null without one.
        @Nullable var quotaUsedToday: Int?
        @Nullable var dailyQuota: Int?
        /// API requests in flight now, and the most allowed at once.
        var requestsInFlight: Int
        var maxInFlight: Int
    }

    struct View: Encodable {
        var name: String
        var enabled: Bool
        @Nullable var disabledReason: String?
        var mediaTypes: [MediaType]
        var baseUrls: [String]
        var limits: Limits
        @Nullable var health: Health?
    }

    struct List: Encodable {
        var providers: [View]
        var chains: [String: [String]]
        var selection: String
    }

    static func seconds(_ duration: Duration) -> Double {
        ((Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) * 1000).rounded() / 1000
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        var views: [View] = []
        for status in registry.status {
            let guardian = registry.guards[status.id]
            let rate = guardian?.budget.configuration
            var health: Health?
            if status.enabled, let guardian, case let current = await guardian.status() {
                health = Health(
                    breaker: current.breaker.state.rawValue, failureRate: current.breaker.failureRate,
                    callsInWindow: current.breaker.callsInWindow, nextProbeInSeconds: current.nextProbeIn.map(Self.seconds),
                    tokensAvailable: (current.tokensAvailable * 100).rounded() / 100, pausedForSeconds: current.pausedFor.map(Self.seconds),
                    quotaUsedToday: try await guardian.quota?.used(), dailyQuota: guardian.quota?.limit,
                    requestsInFlight: guardian.inFlight.inFlight, maxInFlight: guardian.inFlight.limit)
            }
            views.append(View(
                name: status.id.rawValue, enabled: status.enabled, disabledReason: status.reason, mediaTypes: status.mediaTypes,
                baseUrls: status.baseURLs,
                limits: Limits(callTimeoutSeconds: outbound.providerTimeout.components.seconds, maxResponseBytes: outbound.maxAPIResponseBytes,
                               rate: rate.map { "\($0.rate.count) per \($0.rate.period.components.seconds) s" } ?? "unlimited",
                               burst: rate?.burst ?? 0, documentedRateLimit: status.documentedRateLimit),
                health: health))
        }
        var chainViews: [String: [String]] = [:]
        for mediaType in MediaType.allCases {
            chainViews[mediaType.rawValue] = [EnrichmentEngine.ownImageSource] + chains[mediaType].map(\.rawValue)
        }
        return JSONResponse.make(statusCode: .ok, body: List(providers: views, chains: chainViews, selection: selection.rawValue))
    }
}
