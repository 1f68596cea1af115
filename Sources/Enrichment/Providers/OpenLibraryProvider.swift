import EnricherCore
import Foundation
import Logging
import Outbound

/// Open Library: the Books API by ISBN (its cover-ID URLs are not rate limited), the Covers API by
/// ISBN as a fallback, and title search for books without an ISBN.
public struct OpenLibraryProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .openLibrary }

    private let baseURL: String
    private let coversURL: String
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.openLibraryURL]
        coversURL = settings[.openLibraryCoversURL]
        http = ProviderHTTP(service: "Open Library", fetcher: fetcher, throttleStatuses: ProviderDescriptor.openLibrary.throttleStatuses)
        self.logger = logger.tagged(.openLibrary)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        if let isbn = query.isbn {
            return try await byISBN(isbn).map { ImageCandidate(url: $0, provider: id) }
        }
        if let title = query.title, !title.isEmpty {
            let urls = try await byTitle(title, author: query.authors.first)
            guard !urls.isEmpty else { throw .notFound }
            return urls.map { ImageCandidate(url: $0, provider: id) }
        }
        throw .notFound
    }

    private func byISBN(_ isbn: String) async throws(ProviderFailure) -> [String] {
        let key = "ISBN:\(isbn)"
        let url = ProviderURL.make(baseURL, "/api/books", query: [("bibkeys", key), ("format", "json"), ("jscmd", "data")])
        let records = try await http.get([String: BooksAPIRecord].self, url)
        let cover = records[key]?.cover
        let urls = [cover?.large, cover?.medium].compactMap { $0 }.filter { !$0.isEmpty }
        if !urls.isEmpty { return urls }
        // No cover in the Books API: the Covers API may still have one by ISBN. A 404 there (with
        // default=false) is "no cover"; that is for the download to find out.
        logger.debug("no cover in the Books API, falling back to the Covers API by ISBN")
        return [ProviderURL.make(coversURL, "/b/isbn/\(ProviderURL.segment(isbn))-L.jpg", query: [("default", "false")])]
    }

    private func byTitle(_ title: String, author: String?) async throws(ProviderFailure) -> [String] {
        var items = [("title", title)]
        if let author, !author.isEmpty { items.append(("author", author)) }
        items += [("limit", "5"), ("fields", "key,title,cover_i")]
        let result = try await http.get(SearchResponse.self, ProviderURL.make(baseURL, "/search.json", query: items))
        var seen = Set<Int>()
        return result.docs.compactMap { $0.cover_i?.within(Self.coverIDs) }.filter { seen.insert($0).inserted }
            .map { ProviderURL.make(coversURL, "/b/id/\($0)-L.jpg") }
    }

    /// `GET /api/books?...&jscmd=data`: an object keyed by bibkey; `{}` when nothing matched.
    struct BooksAPIRecord: Decodable {
        var cover: Cover?
        struct Cover: Decodable {
            var small: String?
            var medium: String?
            var large: String?
        }
    }

    /// Cover IDs Open Library could have (about 15 million in 2025): anything else is no cover.
    static let coverIDs = 1...Int(UInt32.max)

    /// `GET /search.json`.
    struct SearchResponse: Decodable {
        var docs: [Doc]
        struct Doc: Decodable {
            var key: String?
            var title: String?
            var cover_i: ProviderNumber?
        }
    }
}

extension ProviderID {
    public static let openLibrary = ProviderID(rawValue: "openlibrary")
}

extension ConfigurationKey {
    public static let openLibraryURL = ConfigurationKey("ENRICHER_OPENLIBRARY_URL", "https://openlibrary.org", "Open Library Books and Search API base URL.")
    public static let openLibraryCoversURL = ConfigurationKey("ENRICHER_OPENLIBRARY_COVERS_URL", "https://covers.openlibrary.org", "Open Library Covers API base URL.")
    public static let openLibraryRate = rate("Open Library", "OPENLIBRARY", "1/s", "1 req/s, 3 req/s with a contact in the User-Agent")
    public static let openLibraryBurst = burst("Open Library", "OPENLIBRARY", "1")
    public static let openLibraryCoversRate = ConfigurationKey("ENRICHER_OPENLIBRARY_COVERS_RATE", "100/5min",
        "Most Open Library cover downloads by ISBN per period (covers by cover ID are not limited); documented: 100 per 5 minutes per IP, then 403.")
}

extension ProviderDescriptor {
    /// Covers by ISBN (OCLC, LCCN) answer 403 after 100 requests per 5 minutes per IP, so their downloads
    /// spend a budget of their own; covers by cover ID are not limited.
    public static let openLibrary = ProviderDescriptor(
        id: .openLibrary, displayName: "Open Library", mediaTypes: [.books],
        settings: [.url(.openLibraryURL), .url(.openLibraryCoversURL)],
        rate: .openLibraryRate, burst: .openLibraryBurst,
        hostBudgets: [ProviderKeys.Budget(name: "openlibrary-covers", rate: .openLibraryCoversRate, burst: nil)],
        documentedRateLimit: "Books API 1 req/s (3 req/s with a contact in the User-Agent); covers by ISBN 100 per 5 min, then 403",
        throttleStatuses: [403, 429],
        imageBudgets: [ImageBudget(budget: "openlibrary-covers", host: .openLibraryCoversURL, paths: ["/b/isbn/", "/b/oclc/", "/b/lccn/"])],
        make: { OpenLibraryProvider(settings: $0, fetcher: $1, logger: $2) })
}
