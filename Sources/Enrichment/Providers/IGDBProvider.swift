import EnricherCore
import Foundation
import Logging
import Outbound

/// IGDB game search by name, authenticated with a Twitch app token (see `TwitchTokenSource`).
public struct IGDBProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .igdb }
    static let maxGames = 3

    private let baseURL: String
    private let clientID: String
    private let tokens: TwitchTokenSource
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.igdbURL]
        clientID = settings[.igdbClientID]
        tokens = TwitchTokenSource(settings: settings, fetcher: fetcher)
        http = ProviderHTTP(service: "IGDB", fetcher: fetcher, throttleStatuses: ProviderDescriptor.igdb.throttleStatuses)
        self.logger = logger.tagged(.igdb)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        let title = try await SearchTitle.resolve(query, context: context)
        let body = "fields name,cover.url,first_release_date; search \"\(Self.escape(title))\"; limit 10;"
        var token = try await tokens.current()
        var response = try await http.exchange(request(body: body, token: token))
        if response.status == 401 {
            // Tokens can be revoked before they expire: renew once and try once more.
            logger.debug("IGDB rejected the token; renewing it")
            token = try await tokens.renew(rejected: token)
            response = try await http.exchange(request(body: body, token: token))
        }
        let games = try ProviderHTTP.decode([Game].self, from: try http.classify(response).get())
        let ordered = games.sorted { lhs, rhs in
            Self.isExact(lhs.name, title) && !Self.isExact(rhs.name, title)
        }
        var seen = Set<String>()
        let urls = ordered.compactMap { $0.cover?.url }.map(Self.coverURL).filter { !$0.isEmpty && seen.insert($0).inserted }
            .prefix(Self.maxGames)
        guard !urls.isEmpty else { throw .notFound }
        return urls.map { ImageCandidate(url: $0, provider: id) }
    }

    private func request(body: String, token: String) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: ProviderURL.make(baseURL, "/v4/games"),
            headers: [("Client-ID", clientID), ("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")],
            body: Array(body.utf8)
        )
    }

    /// Apicalypse string literal: a quote or backslash in the title must not end it.
    static func escape(_ title: String) -> String {
        title.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// `//images.igdb.com/igdb/image/upload/t_thumb/co1wyy.jpg` -> https, `t_cover_big` (264x374).
    static func coverURL(_ url: String) -> String {
        let absolute = url.hasPrefix("//") ? "https:" + url : url
        return absolute.replacingOccurrences(of: "/t_thumb/", with: "/t_cover_big/")
    }

    static func isExact(_ name: String?, _ title: String) -> Bool {
        name?.caseInsensitiveCompare(title) == .orderedSame
    }

    /// `POST /v4/games` answers an array of the requested fields.
    struct Game: Decodable {
        var id: ProviderNumber?
        var name: String?
        var cover: Cover?
        /// Unix seconds.
        var first_release_date: ProviderNumber?
        struct Cover: Decodable {
            var id: ProviderNumber?
            var url: String?
        }
    }
}

extension ProviderID {
    public static let igdb = ProviderID(rawValue: "igdb")
}

extension ConfigurationKey {
    public static let igdbURL = ConfigurationKey("ENRICHER_IGDB_URL", "https://api.igdb.com", "IGDB API base URL.")
    public static let twitchTokenURL = ConfigurationKey("ENRICHER_TWITCH_TOKEN_URL", "https://id.twitch.tv", "Twitch OAuth base URL (IGDB tokens).")
    public static let igdbClientID = ConfigurationKey("ENRICHER_IGDB_CLIENT_ID", nil, "Twitch client id for IGDB; without it IGDB is disabled.")
    public static let igdbClientSecret = ConfigurationKey("ENRICHER_IGDB_CLIENT_SECRET", nil, "Twitch client secret for IGDB; without it IGDB is disabled.", secret: true)
    public static let igdbRate = rate("IGDB", "IGDB", "4/s", "about 4 req/s")
    public static let igdbBurst = burst("IGDB", "IGDB", "1")
}

extension ProviderDescriptor {
    public static let igdb = ProviderDescriptor(
        id: .igdb, displayName: "IGDB", mediaTypes: [.games],
        settings: [
            .url(.igdbURL), .url(.twitchTokenURL),
            .credential(.igdbClientID, required: true), .credential(.igdbClientSecret, required: true),
        ],
        rate: .igdbRate, burst: .igdbBurst,
        documentedRateLimit: "about 4 req/s",
        throttleStatuses: [429],
        make: { IGDBProvider(settings: $0, fetcher: $1, logger: $2) })
}
