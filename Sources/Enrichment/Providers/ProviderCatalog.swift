import EnricherCore

/// The providers Enricher ships, one line each. Adding a provider is its file (its code and its
/// `ProviderDescriptor`), a line here, and its tests and fake; everything else reads the descriptors.
public struct ProviderCatalog: Sendable {
    public static let all = ProviderCatalog([.openLibrary, .googleBooks, .upcItemDB, .tmdb, .giantBomb, .igdb, .musicBrainz])

    /// In the order the configuration lists them.
    public let descriptors: [ProviderDescriptor]

    public init(_ descriptors: [ProviderDescriptor]) {
        precondition(Set(descriptors.map(\.id)).count == descriptors.count, "two providers share a name")
        self.descriptors = descriptors
    }

    public var ids: [ProviderID] { descriptors.map(\.id) }

    /// What the configuration reads for them.
    public var keys: [ProviderKeys] { descriptors.map(\.keys) }

    public subscript(id: ProviderID) -> ProviderDescriptor? {
        descriptors.first { $0.id == id }
    }

    /// The provider called `name` in `key`'s value, refusing a name that is none.
    public func descriptor(named name: String, in key: ConfigurationKey) throws(ConfigurationError) -> ProviderDescriptor {
        guard let descriptor = self[ProviderID(rawValue: name)] else {
            throw .invalid(key: key.name, reason: "'\(name)' is not a provider; expected some of \(ids.map(\.rawValue).joined(separator: ", "))")
        }
        return descriptor
    }

    /// The providers `ENRICHER_PROVIDERS_DISABLED` switches off, refusing a name that is no provider.
    public func disabled(_ providers: Configuration.Providers) throws(ConfigurationError) -> Set<ProviderID> {
        var disabled: Set<ProviderID> = []
        for name in providers.disabled {
            disabled.insert(try descriptor(named: name, in: .providersDisabled).id)
        }
        return disabled
    }

    /// The providers that run with `settings`: not switched off, and with their credentials.
    public func enabled(_ settings: ProviderSettings, disabled: Set<ProviderID>) -> Set<ProviderID> {
        Set(descriptors.filter { $0.disabledReason(settings, disabled: disabled) == nil }.map(\.id))
    }
}
