import EnricherCore
import Foundation
import Logging
import Outbound

/// IGDB game search by name, authenticated with a Twitch app token (see `TwitchTokenSource`).
public struct IGDBProvider: CoverProvider {
    public let id = ProviderID.igdb
    static let maxGames = 3

    private let baseURL: String
    private let clientID: String
    private let tokens: TwitchTokenSource
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings.igdbURL
        clientID = settings.igdbClientID ?? ""
        tokens = TwitchTokenSource(settings: settings, fetcher: fetcher)
        http = ProviderHTTP(service: "IGDB", fetcher: fetcher, throttleStatuses: ProviderID.igdb.throttleStatuses)
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
