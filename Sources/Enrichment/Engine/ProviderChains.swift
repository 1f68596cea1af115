import EnricherCore

/// Which providers are asked for each media type, in order, after the entity's own imageUrl.
public struct ProviderChains: Sendable, Equatable {
    public var chains: [MediaType: [ProviderID]]

    public init(_ chains: [MediaType: [ProviderID]]) {
        self.chains = chains
    }

    /// Reads the configured chains, refusing an unknown provider name or one that cannot serve the type.
    public init(_ configured: [MediaType: [String]], catalog: ProviderCatalog) throws(ConfigurationError) {
        var chains: [MediaType: [ProviderID]] = [:]
        for mediaType in MediaType.allCases {
            let key = ProviderChains.key(mediaType)
            var chain: [ProviderID] = []
            for name in configured[mediaType] ?? [] {
                let provider = try catalog.descriptor(named: name, in: key)
                guard provider.mediaTypes.contains(mediaType) else {
                    throw .invalid(key: key.name, reason: "\(name) does not serve \(mediaType.rawValue)")
                }
                if !chain.contains(provider.id) { chain.append(provider.id) }
            }
            chains[mediaType] = chain
        }
        self.chains = chains
    }

    public subscript(mediaType: MediaType) -> [ProviderID] { chains[mediaType] ?? [] }

    /// The media types whose chain has at least one of `enabled`, in catalog order: what scans cover.
    public func mediaTypes(servedBy enabled: Set<ProviderID>) -> [MediaType] {
        MediaType.allCases.filter { self[$0].contains(where: enabled.contains) }
    }

    static func key(_ mediaType: MediaType) -> ConfigurationKey {
        switch mediaType {
        case .books: .chainBooks
        case .movies: .chainMovies
        case .games: .chainGames
        case .musics: .chainMusics
        }
    }
}
