/// One provider's settings as the configuration reads them: its name, its keys (base URLs, credentials,
/// options) and its rate budgets. Providers live in `Enrichment`, out of this module's sight: each
/// provider's descriptor declares these, and the composition root hands them to `Configuration`, so the
/// key table, `GET /v1/config`, `enricher config check` and the refusal of unknown keys all list them.
public struct ProviderKeys: Sendable {
    /// How a setting is read and checked.
    public enum Kind: Sendable {
        /// A base URL: http or https, never empty; a trailing slash is dropped.
        case url
        /// A credential; a provider without a `required` one is disabled.
        case credential(required: Bool)
        /// A value with a rule of its own: `check` says why a value is refused, nil when it is fine.
        case option(check: @Sendable (String) -> String?)
    }

    public struct Setting: Sendable {
        public var key: ConfigurationKey
        public var kind: Kind

        public static func url(_ key: ConfigurationKey) -> Setting { Setting(key: key, kind: .url) }
        public static func credential(_ key: ConfigurationKey, required: Bool) -> Setting {
            Setting(key: key, kind: .credential(required: required))
        }
        public static func option(_ key: ConfigurationKey, check: @escaping @Sendable (String) -> String?) -> Setting {
            Setting(key: key, kind: .option(check: check))
        }
    }

    /// A rate budget shared through the database under `name`: the provider's own, or one of its hosts'
    /// (`openlibrary-covers`).
    public struct Budget: Sendable {
        public var name: String
        /// `ENRICHER_<NAME>_RATE`: requests per period.
        public var rate: ConfigurationKey
        /// Requests allowed back to back; nil: one.
        public var burst: ConfigurationKey?

        public init(name: String, rate: ConfigurationKey, burst: ConfigurationKey?) {
            self.name = name
            self.rate = rate
            self.burst = burst
        }
    }

    public var name: String
    /// In the order the configuration table lists them.
    public var settings: [Setting]
    public var budgets: [Budget]
    /// Calls per UTC day, counted in the database; nil when the provider has no daily quota.
    public var dailyQuota: ConfigurationKey?

    public init(name: String, settings: [Setting], budgets: [Budget], dailyQuota: ConfigurationKey? = nil) {
        self.name = name
        self.settings = settings
        self.budgets = budgets
        self.dailyQuota = dailyQuota
    }

    /// The keys of its endpoints, credentials and options, as the providers table lists them.
    public var settingKeys: [ConfigurationKey] { settings.map(\.key) }

    /// The keys of its budgets and quota, as the rate limits table lists them.
    public var budgetKeys: [ConfigurationKey] {
        budgets.flatMap { [$0.rate] + [$0.burst].compactMap { $0 } } + [dailyQuota].compactMap { $0 }
    }
}
