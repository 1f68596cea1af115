import EnricherCore
import Enrichment
import Foundation

extension Configuration {
    /// The service's configuration: its own settings and those of every provider in `ProviderCatalog.all`.
    public init(environment: [String: String], now: Date = Date()) throws(ConfigurationError) {
        try self.init(environment: environment, providers: ProviderCatalog.all.keys, now: now)
    }
}

extension ConfigurationKey {
    /// Every key the service reads, in the order docs/configuration.md lists them.
    public static var all: [ConfigurationKey] { table(providers: ProviderCatalog.all.keys) }
}
