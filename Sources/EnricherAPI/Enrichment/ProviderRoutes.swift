import EnricherCore
import Enrichment
import FlyingFox

/// `GET /v1/providers`: each provider, whether it runs (and why not), where it lives, its limits,
/// and the chain each media type follows.
struct ProviderRoutes: Sendable {
    let registry: ProviderRegistry
    let settings: ProviderSettings
    let chains: ProviderChains
    let selection: Configuration.ImageRules.Selection
    let outbound: Configuration.Outbound

    func register(in router: inout Router) {
        router.add(.GET, "/v1/providers", list)
    }

    struct Limits: Encodable {
        var callTimeoutSeconds: Int64
        var maxResponseBytes: Int
        var documentedRateLimit: String
    }

    struct View: Encodable {
        var name: String
        var enabled: Bool
        var disabledReason: String?
        var mediaTypes: [MediaType]
        var baseUrls: [String]
        var limits: Limits

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(disabledReason, forKey: .disabledReason)
            try container.encode(mediaTypes, forKey: .mediaTypes)
            try container.encode(baseUrls, forKey: .baseUrls)
            try container.encode(limits, forKey: .limits)
        }

        enum CodingKeys: String, CodingKey { case name, enabled, disabledReason, mediaTypes, baseUrls, limits }
    }

    struct List: Encodable {
        var providers: [View]
        var chains: [String: [String]]
        var selection: String
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        let views = registry.status.map { status in
            View(name: status.id.rawValue, enabled: status.enabled, disabledReason: status.reason, mediaTypes: status.mediaTypes,
                 baseUrls: settings.baseURLs(status.id),
                 limits: Limits(callTimeoutSeconds: outbound.providerTimeout.components.seconds,
                                maxResponseBytes: outbound.maxAPIResponseBytes, documentedRateLimit: status.id.documentedRateLimit))
        }
        var chainViews: [String: [String]] = [:]
        for mediaType in MediaType.allCases {
            chainViews[mediaType.rawValue] = [EnrichmentEngine.ownImageSource] + chains[mediaType].map(\.rawValue)
        }
        return JSONResponse.make(statusCode: .ok, body: List(providers: views, chains: chainViews, selection: selection.rawValue))
    }
}
