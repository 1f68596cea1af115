import EnricherCore
import Foundation
import Logging
import Outbound

/// TMDb movie search by title (and year). TMDb has no barcode lookup, so a movie known only by its
/// barcode is searched by the product title UPCitemdb gives, cleaned of format noise.
public struct TMDbProvider: CoverProvider {
    public let id = ProviderID.tmdb
    /// At most this many posters: the first results are the relevant ones.
    static let maxCandidates = 3

    private let baseURL: String
    private let imageURL: String
    private let posterSize: String
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings.tmdbURL
        imageURL = settings.tmdbImageURL.hasSuffix("/") ? String(settings.tmdbImageURL.dropLast()) : settings.tmdbImageURL
        posterSize = settings.tmdbPosterSize
        var http = ProviderHTTP(service: "TMDb", fetcher: fetcher, throttleStatuses: ProviderID.tmdb.throttleStatuses)
        http.headers.append(("Authorization", "Bearer \(settings.tmdbToken ?? "")"))
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
