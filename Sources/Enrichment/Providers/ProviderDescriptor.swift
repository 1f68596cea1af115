import EnricherCore
import Logging
import Outbound

/// Everything Enricher knows of one provider, in one value: its name, the media types it serves, the
/// settings it reads, its budgets and documented limits, how it says "slow down", and how to build it.
/// Each provider declares its own beside its code; `ProviderCatalog.all` lists them, and the
/// configuration tables, the registry and `GET /v1/providers` read them.
public struct ProviderDescriptor: Sendable {
    public typealias Factory = @Sendable (ProviderSettings, any HTTPFetching, Logger) -> any CoverProvider

    /// Image downloads from one of the provider's hosts that spend one of its budgets.
    public struct ImageBudget: Sendable {
        /// The budget's name: the provider's own, or one of `keys.budgets`.
        public var budget: String
        /// The setting holding the host's base URL.
        public var host: ConfigurationKey
        /// The paths under it that count ("/": every download from the host).
        public var paths: [String]

        public init(budget: String, host: ConfigurationKey, paths: [String]) {
            self.budget = budget
            self.host = host
            self.paths = paths
        }
    }

    public let id: ProviderID
    /// As people name it ("Open Library"), for messages.
    public let displayName: String
    public let mediaTypes: Set<MediaType>
    /// Its settings, budgets and quota, as the configuration reads them.
    public let keys: ProviderKeys
    /// What the provider documents about its limits (../shared/providers/README.md); enforcing them is
    /// its budgets' job.
    public let documentedRateLimit: String
    /// The statuses with which its API says "slow down".
    public let throttleStatuses: Set<Int>
    /// The statuses with which its image hosts say "slow down".
    public let imageThrottleStatuses: Set<Int>
    public let imageBudgets: [ImageBudget]
    private let factory: Factory

    /// `rate` and `burst` make the provider's own budget, named after it; `hostBudgets` are budgets of
    /// its hosts besides. Its image hosts say "slow down" as its API does unless `imageThrottleStatuses` says otherwise.
    public init(id: ProviderID, displayName: String, mediaTypes: Set<MediaType>, settings: [ProviderKeys.Setting],
                rate: ConfigurationKey, burst: ConfigurationKey, hostBudgets: [ProviderKeys.Budget] = [], dailyQuota: ConfigurationKey? = nil,
                documentedRateLimit: String, throttleStatuses: Set<Int>, imageThrottleStatuses: Set<Int>? = nil,
                imageBudgets: [ImageBudget] = [], make factory: @escaping Factory) {
        self.id = id
        self.displayName = displayName
        self.mediaTypes = mediaTypes
        keys = ProviderKeys(name: id.rawValue, settings: settings,
                            budgets: [ProviderKeys.Budget(name: id.rawValue, rate: rate, burst: burst)] + hostBudgets,
                            dailyQuota: dailyQuota)
        self.documentedRateLimit = documentedRateLimit
        self.throttleStatuses = throttleStatuses
        self.imageThrottleStatuses = imageThrottleStatuses ?? throttleStatuses
        self.imageBudgets = imageBudgets
        self.factory = factory
    }

    /// The provider, reading its settings, its API requests sent through `fetcher`.
    public func make(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) -> any CoverProvider {
        factory(settings, fetcher, logger)
    }

    /// The base URLs it calls, for `GET /v1/providers`.
    public func baseURLs(_ settings: ProviderSettings) -> [String] {
        keys.settings.compactMap { setting in
            guard case .url = setting.kind else { return nil }
            return settings[setting.key]
        }
    }

    /// Names the required credentials it still lacks, or nil when it has what it needs.
    public func missingCredentials(_ settings: ProviderSettings) -> String? {
        let names = keys.settings.compactMap { setting -> String? in
            guard case .credential(required: true) = setting.kind, settings[setting.key].isEmpty else { return nil }
            return setting.key.name
        }
        switch names.count {
        case 0: return nil
        case 1: return "\(names[0]) is not set"
        default: return names.joined(separator: " and ") + " are not set"
        }
    }

    /// Why it is off (switched off, or the credentials it still needs), or nil when it runs.
    public func disabledReason(_ settings: ProviderSettings, disabled: Set<ProviderID>) -> String? {
        disabled.contains(id) ? "disabled by \(ConfigurationKey.providersDisabled.name)" : missingCredentials(settings)
    }
}
