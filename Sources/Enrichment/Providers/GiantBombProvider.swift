import EnricherCore
import Foundation
import Logging
import Outbound

/// GiantBomb game search by name. Needs an API key and a User-Agent of our own (generic ones get 403);
/// the HTTP client sends the configured one.
public struct GiantBombProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .giantBomb }
    static let maxGames = 3

    private let baseURL: String
    private let apiKey: Secret
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.giantBombURL]
        apiKey = Secret(settings[.giantBombKey])
        http = ProviderHTTP(service: "GiantBomb", fetcher: fetcher, throttleStatuses: ProviderDescriptor.giantBomb.throttleStatuses)
        self.logger = logger.tagged(.giantBomb)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        let title = try await SearchTitle.resolve(query, context: context)
        // A comma separates filters (`filter=name:x,platforms:y`), so one in the title would end it.
        let name = title.replacingOccurrences(of: ",", with: " ")
        let url = ProviderURL.make(baseURL, "/api/games/", query: [
            ("api_key", apiKey.value), ("format", "json"), ("filter", "name:\(name)"), ("field_list", "name,image"), ("limit", "10"),
        ])
        let response = try await http.exchange(OutboundRequest(url: url))
        if response.status == 403 {
            throw .configuration("GiantBomb refused the User-Agent or key (HTTP 403)")
        }
        let envelope = try ProviderHTTP.decode(Envelope.self, from: try http.classify(response).get())
        switch envelope.status_code.value {
        case 1: break
        case 100: throw .configuration("GiantBomb rejected the API key (status_code 100)")
        case 101: throw .notFound
        case 107: throw .throttled(retryAfter: ProviderHTTP.retryAfter(response))
        default: throw .transient("GiantBomb status_code \(envelope.status_code): \(envelope.error ?? "")")
        }
        // The filter matches names containing the title: exact names first.
        let games = (envelope.results ?? []).sorted { lhs, rhs in
            Self.isExact(lhs.name, title) && !Self.isExact(rhs.name, title)
        }
        var seen = Set<String>()
        let urls = games.prefix(Self.maxGames).flatMap { game in [game.image?.original_url, game.image?.super_url].compactMap { $0 } }
            // GiantBomb's placeholder for games without art.
            .filter { !$0.isEmpty && !$0.contains("gb_default") && seen.insert($0).inserted }
        guard !urls.isEmpty else { throw .notFound }
        return urls.map { ImageCandidate(url: $0, provider: id) }
    }

    static func isExact(_ name: String?, _ title: String) -> Bool {
        name?.caseInsensitiveCompare(title) == .orderedSame
    }

    /// `GET /api/games/`: envelope `status_code` 1 = OK, 100 = invalid key, 101 = not found,
    /// 107 = rate limit; `error` is its text ("OK").
    struct Envelope: Decodable {
        var error: String?
        var status_code: ProviderNumber
        var number_of_total_results: ProviderNumber?
        var results: [Game]?
        struct Game: Decodable {
            var name: String?
            var image: Image?
        }
        struct Image: Decodable {
            var original_url: String?
            var super_url: String?
            var medium_url: String?
        }
    }
}

extension ProviderID {
    public static let giantBomb = ProviderID(rawValue: "giantbomb")
}

extension ConfigurationKey {
    public static let giantBombURL = ConfigurationKey("ENRICHER_GIANTBOMB_URL", "https://www.giantbomb.com", "GiantBomb API base URL.")
    public static let giantBombKey = ConfigurationKey("ENRICHER_GIANTBOMB_API_KEY", nil, "GiantBomb API key; without it GiantBomb is disabled.", secret: true)
    public static let giantBombRate = rate("GiantBomb", "GIANTBOMB", "200/h", "200 per resource per hour")
    public static let giantBombBurst = burst("GiantBomb", "GIANTBOMB", "1")
}

extension ProviderDescriptor {
    /// 420 "Enhance Your Calm" is GiantBomb's burst blocking.
    public static let giantBomb = ProviderDescriptor(
        id: .giantBomb, displayName: "GiantBomb", mediaTypes: [.games],
        settings: [.url(.giantBombURL), .credential(.giantBombKey, required: true)],
        rate: .giantBombRate, burst: .giantBombBurst,
        documentedRateLimit: "200 requests per resource per hour",
        throttleStatuses: [420, 429],
        make: { GiantBombProvider(settings: $0, fetcher: $1, logger: $2) })
}
