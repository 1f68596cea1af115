import EnricherCore
import Foundation
import Logging
import Outbound

/// TMDb movie search by title (and year). TMDb has no barcode lookup, so a movie known only by its
/// barcode is searched by the product title UPCitemdb gives, cleaned of format noise.
public struct TMDbProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .tmdb }
    /// At most this many posters: the first results are the relevant ones.
    static let maxCandidates = 3

    private let baseURL: String
    private let imageURL: String
    private let posterSize: String
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.tmdbURL]
        let imageURL = settings[.tmdbImageURL]
        self.imageURL = imageURL.hasSuffix("/") ? String(imageURL.dropLast()) : imageURL
        posterSize = settings[.tmdbPosterSize]
        var http = ProviderHTTP(service: "TMDb", fetcher: fetcher, throttleStatuses: ProviderDescriptor.tmdb.throttleStatuses)
        http.headers.append(("Authorization", "Bearer \(settings[.tmdbToken])"))
        self.http = http
        self.logger = logger.tagged(.tmdb)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        let title = try await SearchTitle.resolve(query, context: context)
        var items = [("query", title)]
        if let year = query.year { items.append(("year", String(year))) }
        let result = try await http.get(SearchResults.self, ProviderURL.make(baseURL, "/3/search/movie", query: items))
        let candidates = result.results.compactMap(\.poster_path).filter { !$0.isEmpty }.prefix(Self.maxCandidates)
            .map { ImageCandidate(url: "\(imageURL)/\(posterSize)\($0.hasPrefix("/") ? $0 : "/" + $0)", provider: id) }
        guard !candidates.isEmpty else { throw .notFound }
        return Array(candidates)
    }

    /// `GET /3/search/movie`: `results[]` in relevance order; `poster_path` may be null.
    /// Errors are `{"status_code", "status_message", "success": false}` (25 = rate limit, 7 = bad key).
    struct SearchResults: Decodable {
        var results: [Movie]
        struct Movie: Decodable {
            var id: ProviderNumber?
            var title: String?
            var poster_path: String?
            var release_date: String?
        }
    }
}

extension ProviderID {
    public static let tmdb = ProviderID(rawValue: "tmdb")
}

extension ConfigurationKey {
    public static let tmdbURL = ConfigurationKey("ENRICHER_TMDB_URL", "https://api.themoviedb.org", "TMDb API base URL.")
    public static let tmdbImageURL = ConfigurationKey("ENRICHER_TMDB_IMAGE_URL", "https://image.tmdb.org/t/p", "TMDb image base URL.")
    /// TMDb v4 read access token, sent as `Authorization: Bearer`.
    public static let tmdbToken = ConfigurationKey("ENRICHER_TMDB_TOKEN", nil, "TMDb read access token (Bearer); without it TMDb is disabled.", secret: true)
    /// Poster size segment of TMDb image URLs (`w500`, `w780`, `original`).
    public static let tmdbPosterSize = ConfigurationKey("ENRICHER_TMDB_POSTER_SIZE", "original", "TMDb poster size: w500, w780 or original.")
    public static let tmdbRate = rate("TMDb", "TMDB", "40/s", "about 40 req/s")
    public static let tmdbBurst = burst("TMDb", "TMDB", "1")
}

extension ProviderDescriptor {
    public static let tmdb = ProviderDescriptor(
        id: .tmdb, displayName: "TMDb", mediaTypes: [.movies],
        settings: [
            .url(.tmdbURL), .url(.tmdbImageURL), .credential(.tmdbToken, required: true),
            .option(.tmdbPosterSize) { size in
                size == "original" || size.range(of: #"^w[0-9]{2,4}$"#, options: .regularExpression) != nil
                    ? nil : "must be original or a width like w500"
            },
        ],
        rate: .tmdbRate, burst: .tmdbBurst,
        documentedRateLimit: "about 40 req/s, then 429",
        throttleStatuses: [429],
        make: { TMDbProvider(settings: $0, fetcher: $1, logger: $2) })
}
