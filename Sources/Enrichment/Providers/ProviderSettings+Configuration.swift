import EnricherCore

extension ProviderSettings {
    /// The settings as configured (`ENRICHER_*_URL`, keys and tokens).
    public init(_ providers: Configuration.Providers) {
        self.init()
        let values = providers.values
        func url(_ key: ConfigurationKey, _ fallback: String) -> String { values[key] ?? fallback }
        openLibraryURL = url(.openLibraryURL, openLibraryURL)
        openLibraryCoversURL = url(.openLibraryCoversURL, openLibraryCoversURL)
        googleBooksURL = url(.googleBooksURL, googleBooksURL)
        googleBooksAPIKey = values[.googleBooksKey]
        upcItemDBURL = url(.upcItemDBURL, upcItemDBURL)
        upcItemDBUserKey = values[.upcItemDBKey]
        tmdbURL = url(.tmdbURL, tmdbURL)
        tmdbImageURL = url(.tmdbImageURL, tmdbImageURL)
        tmdbToken = values[.tmdbToken]
        tmdbPosterSize = values[.tmdbPosterSize] ?? tmdbPosterSize
        giantBombURL = url(.giantBombURL, giantBombURL)
        giantBombAPIKey = values[.giantBombKey]
        igdbURL = url(.igdbURL, igdbURL)
        twitchTokenURL = url(.twitchTokenURL, twitchTokenURL)
        igdbClientID = values[.igdbClientID]
        igdbClientSecret = values[.igdbClientSecret]
        musicBrainzURL = url(.musicBrainzURL, musicBrainzURL)
        coverArtArchiveURL = url(.coverArtArchiveURL, coverArtArchiveURL)
        coverArtMaxThumbnail = values[.coverArtMaxThumbnail].flatMap(Int.init) ?? coverArtMaxThumbnail
    }

    /// Checks what the generic reader cannot: names and enumerated values.
    public static func validate(_ providers: Configuration.Providers) throws(ConfigurationError) {
        for name in providers.disabled where ProviderID(rawValue: name) == nil {
            throw .invalid(key: ConfigurationKey.providersDisabled.name,
                           reason: "'\(name)' is not a provider; expected some of \(ProviderID.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let size = providers.values[.coverArtMaxThumbnail], !["250", "500", "1200"].contains(size) {
            throw .invalid(key: ConfigurationKey.coverArtMaxThumbnail.name, reason: "must be 250, 500 or 1200")
        }
        if let size = providers.values[.tmdbPosterSize], size != "original", size.range(of: #"^w[0-9]{2,4}$"#, options: .regularExpression) == nil {
            throw .invalid(key: ConfigurationKey.tmdbPosterSize.name, reason: "must be original or a width like w500")
        }
    }

    /// The base URLs a provider calls, for `GET /v1/providers`.
    public func baseURLs(_ id: ProviderID) -> [String] {
        switch id {
        case .openLibrary: [openLibraryURL, openLibraryCoversURL]
        case .googleBooks: [googleBooksURL]
        case .upcItemDB: [upcItemDBURL]
        case .tmdb: [tmdbURL, tmdbImageURL]
        case .giantBomb: [giantBombURL]
        case .igdb: [igdbURL, twitchTokenURL]
        case .musicBrainz: [musicBrainzURL, coverArtArchiveURL]
        }
    }
}

extension ProviderID {
    /// What the provider documents about its limits (../shared/providers/README.md); enforcing them is
    /// the scheduler's job.
    public var documentedRateLimit: String {
        switch self {
        case .openLibrary: "Books API 1 req/s (3 req/s with a contact in the User-Agent); covers by ISBN 100 per 5 min, then 403"
        case .googleBooks: "1,000 requests/day per project"
        case .upcItemDB: "trial: 100/day and about 6/min per IP, then 429"
        case .tmdb: "about 40 req/s, then 429"
        case .giantBomb: "200 requests per resource per hour"
        case .igdb: "about 4 req/s"
        case .musicBrainz: "1 req/s per IP, then 503"
        }
    }
}
