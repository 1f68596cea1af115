import EnricherCore
import Foundation
import Logging
import Outbound

/// Google Books volumes search by ISBN (or title and author). Needs an API key.
///
/// The search answer lists only `smallThumbnail` and `thumbnail` (about 128 px wide); the larger
/// `imageLinks` (`small`, `medium`, `large`, `extraLarge`) come only with the volume itself
/// (`GET /books/v1/volumes/{id}`). So a search answer with nothing larger than a thumbnail costs a
/// second request, through the same fetcher (the provider's rate budget and quota), and the largest
/// size is offered first, the search's thumbnail last.
public struct GoogleBooksProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .googleBooks }

    private let baseURL: String
    private let apiKey: Secret
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.googleBooksURL]
        apiKey = Secret(settings[.googleBooksKey])
        http = ProviderHTTP(service: "Google Books", fetcher: fetcher, throttleStatuses: ProviderDescriptor.googleBooks.throttleStatuses)
        self.logger = logger.tagged(.googleBooks)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        let search: String
        if let isbn = query.isbn {
            search = "isbn:\(isbn)"
        } else if let title = query.title, !title.isEmpty {
            // `+` between terms is a space once decoded; it is sent encoded as %20.
            search = "intitle:\(title)" + (query.authors.first.map { " inauthor:\($0)" } ?? "")
        } else {
            throw .notFound
        }
        let url = ProviderURL.make(baseURL, "/books/v1/volumes", query: [("q", search), ("key", apiKey.value)])
        let volumes = try decode(Volumes.self, try await http.exchange(OutboundRequest(url: url)))
        guard let volume = volumes.items?.first(where: { $0.volumeInfo?.imageLinks != nil }),
              let links = volume.volumeInfo?.imageLinks else { throw .notFound }
        var larger: [String] = links.larger
        if larger.isEmpty, let volumeID = volume.id, !volumeID.isEmpty {
            do {
                larger = try await volumeLinks(volumeID)?.larger ?? []
            } catch {
                // The thumbnail the search gave is still an answer; with none, the failure is the answer.
                guard links.thumbnail != nil else { throw error }
                logger.debug("Google Books volume lookup failed; offering the thumbnail", metadata: [
                    "volume": "\(volumeID)", "reason": "\(error)",
                ])
            }
        }
        let urls = (larger + [links.thumbnail].compactMap { $0 }).map(Self.coverURL)
        var seen = Set<String>()
        let candidates = urls.filter { !$0.isEmpty && seen.insert($0).inserted }.map { ImageCandidate(url: $0, provider: id) }
        guard !candidates.isEmpty else { throw .notFound }
        return candidates
    }

    /// The volume's own `imageLinks` (`GET /books/v1/volumes/{id}`, with the key); nil when Google no
    /// longer knows the volume (404) or it lists no images.
    private func volumeLinks(_ volumeID: String) async throws(ProviderFailure) -> Volumes.ImageLinks? {
        let url = ProviderURL.make(baseURL, "/books/v1/volumes/" + ProviderURL.segment(volumeID), query: [("key", apiKey.value)])
        let response = try await http.exchange(OutboundRequest(url: url))
        // "The volume ID could not be found.": the search just named it, so the base URL is right.
        if response.status == 404 { return nil }
        return try decode(Volumes.Volume.self, response).volumeInfo?.imageLinks
    }

    /// A Google API answer: Google's own errors first (quota, key), then the general rules.
    private func decode<T: Decodable>(_ type: T.Type, _ response: OutboundResponse) throws(ProviderFailure) -> T {
        if let failure = Self.googleFailure(response) { throw failure }
        return try ProviderHTTP.decode(type, from: try http.classify(response).get())
    }

    /// Google answers quota exhaustion with 403 (or 429) and a reason, and a bad key with 400 or 403.
    static func googleFailure(_ response: OutboundResponse) -> ProviderFailure? {
        guard [400, 403, 429].contains(response.status) else { return nil }
        let error = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(response.body)).error
        let reasons = Set((error?.errors ?? []).compactMap(\.reason) + (error?.details ?? []).compactMap(\.reason))
        if response.status == 429 || error?.status == "RESOURCE_EXHAUSTED" || !reasons.isDisjoint(with: quotaReasons) {
            return .throttled(retryAfter: ProviderHTTP.retryAfter(response))
        }
        let message = error?.message.map { ": \($0)" } ?? ""
        if response.status == 403 || !reasons.isDisjoint(with: keyReasons) || (error?.message ?? "").contains("API key") {
            return .configuration("Google Books rejected the API key (HTTP \(response.status))\(message)")
        }
        return .transient("HTTP \(response.status)\(message)")
    }

    static let quotaReasons: Set<String> = [
        "rateLimitExceeded", "dailyLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED",
    ]
    static let keyReasons: Set<String> = ["keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"]

    /// Google's links are `http://books.google.com/...&edge=curl&...`: the curled-page effect is
    /// dropped and Google's own hosts are asked over https (a mirror's links are kept as given).
    static func coverURL(_ link: String) -> String {
        guard var components = URLComponents(string: link) else { return link }
        if components.scheme == "http", let host = components.host?.lowercased(),
           host == "books.google.com" || host.hasSuffix(".google.com") || host.hasSuffix(".googleusercontent.com") {
            components.scheme = "https"
        }
        if let query = components.percentEncodedQuery {
            let kept = query.split(separator: "&", omittingEmptySubsequences: false).filter { $0 != "edge=curl" }
            components.percentEncodedQuery = kept.isEmpty ? nil : kept.joined(separator: "&")
        }
        return components.string ?? link
    }

    /// `GET /books/v1/volumes`: no match is `totalItems: 0` and no `items` key. `GET /books/v1/volumes/{id}`
    /// answers one `Volume`.
    struct Volumes: Decodable {
        var totalItems: Int?
        var items: [Volume]?
        struct Volume: Decodable {
            var id: String?
            var volumeInfo: VolumeInfo?
        }
        struct VolumeInfo: Decodable {
            var imageLinks: ImageLinks?
        }
        struct ImageLinks: Decodable {
            var smallThumbnail: String?
            var thumbnail: String?
            var small: String?
            var medium: String?
            var large: String?
            var extraLarge: String?

            /// The sizes above the thumbnail, largest first (widths about 1280, 800, 575 and 300 px).
            var larger: [String] { [extraLarge, large, medium, small].compactMap { $0 } }
        }
    }

    /// Google API errors: `{"error": {"code", "message", "status", "errors": [{"reason"}], "details": [{"reason"}]}}`.
    struct ErrorEnvelope: Decodable {
        var error: GoogleError
        struct GoogleError: Decodable {
            var code: Int?
            var message: String?
            var status: String?
            var errors: [Reason]?
            var details: [Reason]?
        }
        struct Reason: Decodable {
            var reason: String?
        }
    }
}

extension ProviderID {
    public static let googleBooks = ProviderID(rawValue: "googlebooks")
}

extension ConfigurationKey {
    public static let googleBooksURL = ConfigurationKey("ENRICHER_GOOGLEBOOKS_URL", "https://www.googleapis.com", "Google Books API base URL.")
    public static let googleBooksKey = ConfigurationKey("ENRICHER_GOOGLEBOOKS_API_KEY", nil, "Google Books API key; without it Google Books is disabled.", secret: true)
    public static let googleBooksRate = rate("Google Books", "GOOGLEBOOKS", "10/s", "1,000 per day per project")
    public static let googleBooksBurst = burst("Google Books", "GOOGLEBOOKS", "1")
    public static let googleBooksDaily = dailyQuota("Google Books", "GOOGLEBOOKS", "1000")
}

extension ProviderDescriptor {
    public static let googleBooks = ProviderDescriptor(
        id: .googleBooks, displayName: "Google Books", mediaTypes: [.books],
        settings: [.url(.googleBooksURL), .credential(.googleBooksKey, required: true)],
        rate: .googleBooksRate, burst: .googleBooksBurst, dailyQuota: .googleBooksDaily,
        documentedRateLimit: "1,000 requests/day per project",
        throttleStatuses: [429],
        make: { GoogleBooksProvider(settings: $0, fetcher: $1, logger: $2) })
}
