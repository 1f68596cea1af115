import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Testing

/// The descriptor's promise: a provider's descriptor is all there is to know of it, and every table,
/// check and endpoint that speaks of providers reads the catalog.
@Suite("Provider catalog")
struct ProviderCatalogTests {
    static let catalog = ProviderCatalog.all

    @Test("names are unique and every media type has a provider")
    func namesAndMediaTypes() {
        let names = Self.catalog.ids.map(\.rawValue)
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names.allSatisfy { $0.range(of: #"^[a-z0-9]+$"#, options: .regularExpression) != nil }, "\(names)")
        for mediaType in MediaType.allCases {
            #expect(Self.catalog.descriptors.contains { $0.mediaTypes.contains(mediaType) }, "no provider serves \(mediaType)")
        }
    }

    @Test("each descriptor's keys are its own, in the configuration table, and its budgets and image budgets fit together")
    func keys() {
        let table = ConfigurationKey.all.map(\.name)
        #expect(Set(table).count == table.count, "a key is listed twice")
        let providerKeys = Self.catalog.keys.flatMap { $0.settingKeys + $0.budgetKeys }.map(\.name)
        #expect(Set(providerKeys).count == providerKeys.count, "two providers share a key")
        for descriptor in Self.catalog.descriptors {
            let keys = descriptor.keys
            #expect(keys.name == descriptor.id.rawValue)
            for key in keys.settingKeys + keys.budgetKeys {
                #expect(table.contains(key.name), "\(descriptor.id): \(key.name) is not in the configuration table")
                #expect(key.name.hasPrefix("ENRICHER_") && !key.meaning.isEmpty, "\(descriptor.id): \(key.name)")
            }
            #expect(keys.budgets.first?.name == descriptor.id.rawValue, "\(descriptor.id): its own budget comes first")
            #expect(keys.budgets.allSatisfy { $0.name.hasPrefix(descriptor.id.rawValue) }, "\(descriptor.id): budgets are named after it")
            let urlKeys = keys.settings.compactMap { setting -> ConfigurationKey? in
                if case .url = setting.kind { return setting.key }
                return nil
            }
            #expect(!urlKeys.isEmpty && urlKeys.allSatisfy { $0.defaultValue?.hasPrefix("https://") == true }, "\(descriptor.id)")
            #expect(descriptor.baseURLs(ProviderSettings()) == urlKeys.compactMap(\.defaultValue))
            for imageBudget in descriptor.imageBudgets {
                #expect(keys.budgets.contains { $0.name == imageBudget.budget }, "\(descriptor.id): no budget \(imageBudget.budget)")
                #expect(urlKeys.contains(imageBudget.host), "\(descriptor.id): \(imageBudget.host.name) is not one of its base URLs")
            }
            #expect(!descriptor.throttleStatuses.isEmpty && !descriptor.imageThrottleStatuses.isEmpty)
            #expect(!descriptor.documentedRateLimit.isEmpty)
        }
        let disabled = ConfigurationKey.all.first { $0 == .providersDisabled }
        #expect(disabled?.meaning.contains("(" + Self.catalog.ids.map(\.rawValue).joined(separator: ", ") + ")") == true)
    }

    @Test("each descriptor builds its own provider, and the default chains name providers that serve them")
    func factoriesAndChains() throws {
        for descriptor in Self.catalog.descriptors {
            let provider = descriptor.make(settings: ProviderSettings(), fetcher: LoopbackHTTP.shared, logger: .quiet)
            #expect(provider.id == descriptor.id && provider.mediaTypes == descriptor.mediaTypes)
        }
        let chains = try ProviderChains(try Configuration(environment: [:]).providers.chains, catalog: Self.catalog)
        for mediaType in MediaType.allCases {
            #expect(!chains[mediaType].isEmpty, "the default chain of \(mediaType) is empty")
        }
    }

    @Test("GET /v1/config shows every descriptor's keys; GET /v1/providers lists every descriptor as it describes itself")
    func endpoints() async throws {
        try await TestService.with([ConfigurationKey.tmdbToken.name: "token-of-the-test"]) { service in
            let config = try #require(try await service.client.get("/v1/config").json["config"] as? [String: String])
            for key in Self.catalog.keys.flatMap({ $0.settingKeys + $0.budgetKeys }) {
                let expected = key == .tmdbToken ? Configuration.redacted : key.defaultValue ?? ""
                #expect(config[key.name] == expected, "\(key.name): \(config[key.name] ?? "absent")")
            }
            let list = try await service.client.get("/v1/providers").json
            let providers = try #require(list["providers"] as? [[String: Any]])
            #expect(providers.compactMap { $0["name"] as? String } == Self.catalog.ids.map(\.rawValue).sorted())
            for descriptor in Self.catalog.descriptors {
                let view = try #require(providers.first { $0["name"] as? String == descriptor.id.rawValue })
                #expect(view["mediaTypes"] as? [String] == MediaType.allCases.filter(descriptor.mediaTypes.contains).map(\.rawValue))
                #expect(view["baseUrls"] as? [String] == descriptor.baseURLs(ProviderSettings()), "\(view)")
                let limits = try #require(view["limits"] as? [String: Any])
                #expect(limits["documentedRateLimit"] as? String == descriptor.documentedRateLimit)
            }
        }
    }
}
