import EnricherCore
import Enrichment
import Foundation
import Outbound
import Synchronization
import Testing

@Suite("Open Library against its fake")
struct OpenLibraryProviderTests {
    static func provider(_ fake: FakeProvider) -> OpenLibraryProvider {
        OpenLibraryProvider(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
    }

    static let context = LookupContext(productLookup: nil)

    @Test("by ISBN: the Books API's cover-ID URLs, large first")
    func byISBN() async throws {
        try await FakeProvider.with(.openLibrary) { fake in
            let candidates = try await Self.provider(fake).candidates(for: LookupQuery(mediaType: .books, isbn: "9780980200447"), context: Self.context)
            #expect(candidates.map(\.url) == ["\(fake.baseURL)/b/id/5546156-L.jpg", "\(fake.baseURL)/b/id/5546156-M.jpg"])
            #expect(candidates.allSatisfy { $0.provider == .openLibrary })
            let request = try #require(fake.requests.first)
            #expect(fake.requests.count == 1)
            #expect(request.method == "GET" && request.path == "/api/books")
            #expect(request.query == ["bibkeys": "ISBN:9780980200447", "format": "json", "jscmd": "data"])
            #expect(request.header("Accept") == "application/json")
        }
    }

    @Test("by ISBN without a cover in the Books API: the Covers API by ISBN, 404 there when it has none")
    func coversFallback() async throws {
        try await FakeProvider.with(.openLibrary) { fake in
            fake.setScenario(.miss, for: .openLibrary)
            let provider = Self.provider(fake)
            let candidates = try await provider.candidates(for: LookupQuery(mediaType: .books, isbn: "9780000000002"), context: Self.context)
            #expect(candidates.map(\.url) == ["\(fake.baseURL)/b/isbn/9780000000002-L.jpg?default=false"])
            #expect(try await fetchImage(candidates[0].url).status == 200)

            fake.setScenario(.miss, for: .openLibraryCovers)
            #expect(try await fetchImage(candidates[0].url).status == 404)

            // Covers by ISBN are rate limited with 403; by cover ID they are not.
            fake.setScenario(.throttle(retryAfter: nil), for: .openLibraryCovers)
            let throttled = try await fetchImage(candidates[0].url)
            #expect(provider.imageThrottleStatuses.contains(throttled.status))
            #expect(try await fetchImage("\(fake.baseURL)/b/id/5546156-L.jpg").status == 200)
        }
    }

    @Test("by title and author: search.json, then covers by ID")
    func byTitle() async throws {
        try await FakeProvider.with(.openLibrary) { fake in
            let query = LookupQuery(mediaType: .books, title: "Slow reading", authors: ["John Miedema"])
            let candidates = try await Self.provider(fake).candidates(for: query, context: Self.context)
            #expect(candidates.map(\.url) == ["\(fake.baseURL)/b/id/5546156-L.jpg"])
            let request = try #require(fake.requests.first)
            #expect(request.path == "/search.json")
            #expect(request.query == ["title": "Slow reading", "author": "John Miedema", "limit": "5", "fields": "key,title,cover_i"])
        }
    }

    @Test("nothing to search with is not found, without a request")
    func nothing() async throws {
        try await FakeProvider.with(.openLibrary) { fake in
            #expect(await providerFailure { () async throws(ProviderFailure) in
                try await Self.provider(fake).candidates(for: LookupQuery(mediaType: .books), context: Self.context)
            } == .notFound)
            #expect(fake.requests.isEmpty)
        }
    }
}

@Suite("Google Books against its fake")
struct GoogleBooksProviderTests {
    static func lookup(_ settings: ProviderSettings, _ query: LookupQuery = LookupQuery(mediaType: .books, isbn: "9781429952040"))
        async throws(ProviderFailure) -> [ImageCandidate] {
        try await GoogleBooksProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            .candidates(for: query, context: LookupContext(productLookup: nil))
    }

    static let key = FakeProvider.Credentials.googleBooksAPIKey

    /// The search fixture's thumbnail, as the fake serves it: edge=curl dropped.
    static func thumbnail(_ fake: FakeProvider) -> String {
        "\(fake.baseURL)/img/books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&source=gbs_api"
    }

    /// The volume fixture's link at `zoom` (`imgtk` suffix `token`), edge=curl dropped, under `base`.
    static func volumeLink(_ base: String, zoom: Int, token: String) -> String {
        "\(base)/books/publisher/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=\(zoom)&imgtk=AFLRE7\(token)&source=gbs_api"
    }

    static func volumeLinks(_ base: String) -> [String] {
        [
            volumeLink(base, zoom: 6, token: "0fZ1oG5iL2mV6qT3_illustrative-xl"),
            volumeLink(base, zoom: 4, token: "1eY8nF3hK9lU5pS0_illustrative-lg"),
            volumeLink(base, zoom: 3, token: "2dX5mE1gJ7kT4oR9_illustrative-md"),
            volumeLink(base, zoom: 2, token: "0cW2kD9fH6jS3nQ8_illustrative-sm"),
        ]
    }

    /// The search fixture with `links` (JSON members) added to its imageLinks.
    static func search(adding links: String) -> String {
        let fixture = FakeProvider.fixtureText("googlebooks-volumes-isbn-9781429952040.json")
        precondition(fixture.contains(#""thumbnail": ""#))
        return fixture.replacingOccurrences(of: #""thumbnail": ""#, with: links + #", "thumbnail": ""#)
    }

    @Test("by ISBN: the search has only thumbnails, so the volume is asked; extraLarge first, thumbnail last, edge=curl dropped, the key sent to both")
    func byISBN() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == Self.volumeLinks("\(fake.baseURL)/img/books.google.com") + [Self.thumbnail(fake)])
            #expect(candidates.allSatisfy { $0.provider == .googleBooks })
            // Two API requests for this lookup: the search, then the volume it named.
            #expect(fake.requests.count == 2, "\(fake.requests.map(\.path))")
            let search = try #require(fake.requests.first)
            #expect(search.service == .googleBooks && search.path == "/books/v1/volumes")
            #expect(search.query == ["q": "isbn:9781429952040", "key": Self.key])
            #expect(search.header("Accept") == "application/json")
            let volume = try #require(fake.requests.dropFirst().first)
            #expect(volume.service == .googleBooksVolume && volume.method == "GET" && volume.path == "/books/v1/volumes/QCPBDwAAQBAJ")
            #expect(volume.query == ["key": Self.key])
            #expect(volume.header("Accept") == "application/json")
        }
    }

    @Test("Google's own http links become https, edge=curl dropped, the rest (imgtk) kept")
    func thumbnailRewrite() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            fake.options.rewriteImageURLs = false
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == Self.volumeLinks("https://books.google.com") + [
                "https://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&source=gbs_api",
            ])
        }
    }

    @Test("a volume with large but no extraLarge: large first, then the thumbnail")
    func volumeWithLargeOnly() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            let large = "http://books.google.com/books/publisher/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=4&edge=curl&source=gbs_api"
            let body = #"{"kind": "books#volume", "id": "QCPBDwAAQBAJ", "volumeInfo": {"imageLinks": {"thumbnail": "http://books.google.com/books/publisher/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&edge=curl&source=gbs_api", "large": "\#(large)"}}}"#
            fake.setScenario(.reply(status: 200, body: body), for: .googleBooksVolume)
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == [
                "https://books.google.com/books/publisher/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=4&source=gbs_api",
                Self.thumbnail(fake),
            ])
            #expect(fake.requests.count == 2)
        }
    }

    @Test("a search answer that already has large links: no volume request")
    func searchWithLargeLinks() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            let large = "http://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=4&edge=curl&source=gbs_api"
            fake.setScenario(.reply(status: 200, body: Self.search(adding: #""large": "\#(large)""#)), for: .googleBooks)
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == [
                "https://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=4&source=gbs_api",
                "https://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&source=gbs_api",
            ])
            #expect(fake.requests.count == 1, "\(fake.requests.map(\.path))")
            #expect(fake.requests(to: .googleBooksVolume).isEmpty)
        }
    }

    static let failingVolumes: [FakeScenario] = [
        .miss,  // 404 "The volume ID could not be found."
        .serverError,
        .malformedJSON,
        .throttle(retryAfter: "1"),
        .reply(status: 200, body: #"{"kind": "books#volume", "id": "QCPBDwAAQBAJ", "volumeInfo": {"pageCount": 1374}}"#),
    ]

    @Test("a volume request that fails, or a volume with nothing larger, still yields the thumbnail", arguments: failingVolumes)
    func failingVolume(_ scenario: FakeScenario) async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            fake.setScenario(scenario, for: .googleBooksVolume)
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == [Self.thumbnail(fake)])
            #expect(fake.requests.count == 2, "\(fake.requests.map(\.path))")
            #expect(fake.requests(to: .googleBooksVolume).count == 1)
        }
    }

    @Test("with no thumbnail to fall back on, a failing volume request is the lookup's failure")
    func failingVolumeWithoutThumbnail() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            let onlySmall = FakeProvider.fixtureText("googlebooks-volumes-isbn-9781429952040.json")
                .replacingOccurrences(of: #"(,\s*"thumbnail": "[^"]*")"#, with: "", options: .regularExpression)
            #expect(!onlySmall.contains(#""thumbnail""#) && onlySmall.contains(#""smallThumbnail""#))
            fake.setScenario(.reply(status: 200, body: onlySmall), for: .googleBooks)
            fake.setScenario(.serverError, for: .googleBooksVolume)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .transient("HTTP 503"))
            #expect(fake.requests.count == 2)
        }
    }

    @Test("both requests go through the provider's own fetcher, where its rate budget and quota are kept")
    func volumeRequestUsesTheFetcher() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            let fetcher = CountingFetcher()
            _ = try await GoogleBooksProvider(settings: fake.settings, fetcher: fetcher, logger: .quiet)
                .candidates(for: LookupQuery(mediaType: .books, isbn: "9781429952040"), context: LookupContext(productLookup: nil))
            #expect(fetcher.urls.map { $0.replacingOccurrences(of: fake.baseURL, with: "") } == [
                "/books/v1/volumes?q=isbn%3A9781429952040&key=\(Self.key)",
                "/books/v1/volumes/QCPBDwAAQBAJ?key=\(Self.key)",
            ])
            #expect(fake.requests.count == 2)
        }
    }

    @Test("by title and author")
    func byTitle() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            _ = try await Self.lookup(fake.settings, LookupQuery(mediaType: .books, title: "Dune", authors: ["Frank Herbert"]))
            #expect(fake.requests.first?.query["q"] == "intitle:Dune inauthor:Frank Herbert")
        }
    }

    @Test("an invalid key is a configuration error")
    func invalidKey() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            var settings = fake.settings
            settings[.googleBooksKey] = "wrong"
            let result = await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(settings) }
            #expect(result == .configuration("Google Books rejected the API key (HTTP 400): API key not valid. Please pass a valid API key."))
        }
    }

    @Test("quota answered with 403 and a quota reason is a throttle", arguments: ["dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"])
    func quota(reason: String) async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            fake.scenario = .reply(status: 403, body: FakeBodies.googleQuota(code: 403, reason: reason), headers: ["Retry-After": "60"])
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .throttled(retryAfter: .seconds(60)))
        }
    }

    @Test("403 for an API that is not enabled is a configuration error")
    func forbidden() async throws {
        try await FakeProvider.with(.googleBooks) { fake in
            fake.scenario = .reply(status: 403, body: #"{"error":{"code":403,"message":"Books API has not been used in project 1 before or it is disabled.","errors":[{"reason":"accessNotConfigured"}],"status":"PERMISSION_DENIED"}}"#)
            let result = await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) }
            guard case .configuration(let detail) = result else {
                Issue.record("expected a configuration error, got \(String(describing: result))")
                return
            }
            #expect(detail.hasPrefix("Google Books rejected the API key (HTTP 403)"))
        }
    }
}

/// The shared loopback client, recording the URL of every request sent through it.
private final class CountingFetcher: HTTPFetching {
    private let sent = Mutex<[String]>([])

    var urls: [String] { sent.withLock { $0 } }

    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        sent.withLock { $0.append(request.url) }
        return try await LoopbackHTTP.shared.send(request)
    }
}

@Suite("UPCitemdb against its fake")
struct UPCItemDBProviderTests {
    @Test("the product behind a barcode: title and retailer images, from the trial endpoint")
    func product() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            let provider = UPCItemDBProvider(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let product = try await provider.product(barcode: "9780441018697")
            #expect(product.title == "The Lost Fleet: Victorious - by Jack Campbell (Paperback)")
            #expect(product.imageURLs == [
                "\(fake.baseURL)/img/covers2.booksamillion.com/covers/bam/0/44/101/869/0441018696.jpg",
                "\(fake.baseURL)/img/images.BetterWorldBooks.com/044/Victorious-Campbell-Jack-9780441018697.jpg",
            ])
            let request = try #require(fake.requests.first)
            #expect(request.path == "/prod/trial/lookup" && request.query == ["upc": "9780441018697"])
            #expect(request.header("user_key") == nil)
            #expect(request.header("Accept") == "application/json")
        }
    }

    @Test("candidates are the product's images, looked up once per context")
    func candidatesOnce() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            let provider = UPCItemDBProvider(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let context = LookupContext { barcode async throws(ProviderFailure) -> Product in try await provider.product(barcode: barcode) }
            let query = LookupQuery(mediaType: .books, isbn: "9780441018697")
            let first = try await provider.candidates(for: query, context: context)
            let second = try await provider.candidates(for: query, context: context)
            #expect(first.count == 2 && first == second)
            #expect(fake.requests.count == 1)
        }
    }

    @Test("with a user key: the paid endpoint and its headers; a wrong key is a configuration error")
    func paidPlan() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            var settings = fake.settings
            settings[.upcItemDBKey] = FakeProvider.Credentials.upcItemDBUserKey
            _ = try await UPCItemDBProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet).product(barcode: "9780441018697")
            let request = try #require(fake.requests.first)
            #expect(request.path == "/prod/v1/lookup")
            #expect(request.header("user_key") == FakeProvider.Credentials.upcItemDBUserKey && request.header("key_type") == "3scale")

            settings[.upcItemDBKey] = "wrong"
            let provider = UPCItemDBProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            await #expect(throws: ProviderFailure.configuration("UPCitemdb rejected the credentials (HTTP 401)")) {
                try await provider.product(barcode: "9780441018697")
            }
        }
    }

    @Test("a code UPCitemdb cannot read (400 INVALID_UPC) has no product")
    func invalidCode() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            let provider = UPCItemDBProvider(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            await #expect(throws: ProviderFailure.notFound) { try await provider.product(barcode: "12345") }
            #expect(fake.requests.count == 1)
        }
    }

    @Test("the throttle body is TOO_FAST; X-RateLimit-Reset stands in for a missing Retry-After")
    func rateLimitReset() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            let reset = Int(Date().timeIntervalSince1970) + 45
            fake.scenario = .reply(status: 429, body: FakeProvider.fixtureText("upcitemdb-429-body.json"), headers: ["X-RateLimit-Reset": "\(reset)"])
            let provider = UPCItemDBProvider(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            do throws(ProviderFailure) {
                _ = try await provider.product(barcode: "9780441018697")
                Issue.record("expected a throttle")
            } catch {
                guard case .throttled(let retryAfter?) = error else { Issue.record("expected a throttle, got \(error)"); return }
                #expect(retryAfter >= .seconds(43) && retryAfter <= .seconds(46))
            }
        }
    }
}
