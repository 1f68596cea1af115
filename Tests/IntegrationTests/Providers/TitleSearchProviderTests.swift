import EnricherCore
import Enrichment
import Foundation
import Testing

@Suite("TMDb against its fake")
struct TMDbProviderTests {
    static func provider(_ settings: ProviderSettings) -> TMDbProvider {
        TMDbProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
    }

    @Test("by title and year: the poster at the configured size, with the bearer token sent")
    func byTitle() async throws {
        try await FakeProvider.with(.tmdb) { fake in
            let candidates = try await Self.provider(fake.settings)
                .candidates(for: LookupQuery(mediaType: .movies, title: "The Matrix", year: 1999), context: LookupContext(productLookup: nil))
            #expect(candidates.map(\.url) == [fake.imageURL(host: "image.tmdb.org", path: "/t/p/original/dXNAPwY7VrqMAo51EKhhCJfaGb5.jpg")])
            let request = try #require(fake.requests.first)
            #expect(request.path == "/3/search/movie" && request.query == ["query": "The Matrix", "year": "1999"])
            #expect(request.header("Authorization") == "Bearer \(FakeProvider.Credentials.tmdbToken)")
            #expect(request.header("Accept") == "application/json")
        }
    }

    @Test("a rejected token is a configuration error")
    func badToken() async throws {
        try await FakeProvider.with(.tmdb) { fake in
            var settings = fake.settings
            settings[.tmdbToken] = "wrong"
            let result = await providerFailure { () async throws(ProviderFailure) in
                try await Self.provider(settings).candidates(for: LookupQuery(mediaType: .movies, title: "The Matrix"), context: LookupContext(productLookup: nil))
            }
            #expect(result == .configuration("TMDb rejected the credentials (HTTP 401)"))
        }
    }

    @Test("by barcode: UPCitemdb's product title, cleaned, is what TMDb searches")
    func titleFromBarcode() async throws {
        try await FakeProvider.with(.tmdb, .upcItemDB) { tmdb, upc in
            var settings = tmdb.settings
            upc.configure(&settings)
            let registry = ProviderRegistry(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let provider = try #require(registry.enabled[.tmdb])
            let candidates = try await provider.candidates(for: LookupQuery(mediaType: .movies, barcode: "9780441018697"), context: registry.makeContext())
            #expect(candidates.count == 1)
            #expect(upc.requests.count == 1)
            // The fixture's "The Lost Fleet: Victorious - by Jack Campbell (Paperback)".
            #expect(tmdb.requests.first?.query["query"] == "The Lost Fleet: Victorious")

            upc.options.productTitle = "The Matrix (Blu-ray + Digital) [Widescreen]"
            _ = try await provider.candidates(for: LookupQuery(mediaType: .movies, barcode: "085391163926"), context: registry.makeContext())
            #expect(tmdb.requests.last?.query["query"] == "The Matrix")
        }
    }

    @Test("a failed title lookup says so; UPCitemdb's not found is not found, with no TMDb request")
    func titleLookupFails() async throws {
        try await FakeProvider.with(.tmdb, .upcItemDB) { tmdb, upc in
            var settings = tmdb.settings
            upc.configure(&settings)
            let registry = ProviderRegistry(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let provider = try #require(registry.enabled[.tmdb])
            let query = LookupQuery(mediaType: .movies, barcode: "085391163926")

            upc.scenario = .serverError
            #expect(await providerFailure(of: provider, query, registry.makeContext()) == .titleSourceUnavailable("title lookup via upcitemdb: HTTP 500"))
            upc.scenario = .miss
            #expect(await providerFailure(of: provider, query, registry.makeContext()) == .notFound)
            upc.scenario = .throttle(retryAfter: "9")
            #expect(await providerFailure(of: provider, query, registry.makeContext()) == .throttled(retryAfter: .seconds(9)))
            #expect(tmdb.requests.isEmpty)

            // Without a barcode database there is no title to search.
            let result = await providerFailure(of: provider, query, LookupContext(productLookup: nil))
            #expect(result?.isConfiguration(prefix: "title lookup via upcitemdb: ") == true, "got \(String(describing: result))")
        }
    }

    @Test("TMDb and UPCitemdb on one entity share one UPCitemdb call, even at the same time")
    func sharedContext() async throws {
        try await FakeProvider.with(.tmdb, .upcItemDB) { tmdb, upc in
            var settings = tmdb.settings
            upc.configure(&settings)
            // Slow enough that both providers are waiting on the product at once.
            upc.scenario = .slow(.milliseconds(200))
            let registry = ProviderRegistry(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let tmdbProvider = try #require(registry.enabled[.tmdb])
            let upcProvider = try #require(registry.enabled[.upcItemDB])
            let context = registry.makeContext()
            let query = LookupQuery(mediaType: .movies, barcode: "9780441018697")
            async let posters = tmdbProvider.candidates(for: query, context: context)
            async let retail = upcProvider.candidates(for: query, context: context)
            let (movie, product) = try await (posters, retail)
            #expect(movie.count == 1 && product.count == 2)
            #expect(upc.requests.count == 1)
            #expect(tmdb.requests.count == 1)
        }
    }
}

@Suite("GiantBomb against its fake")
struct GiantBombProviderTests {
    static func lookup(_ settings: ProviderSettings, title: String = "Elden Ring") async throws(ProviderFailure) -> [ImageCandidate] {
        try await GiantBombProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            .candidates(for: LookupQuery(mediaType: .games, title: title), context: LookupContext(productLookup: nil))
    }

    @Test("by name: original_url then super_url, with the key, filter and a User-Agent")
    func byName() async throws {
        try await FakeProvider.with(.giantBomb) { fake in
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == [
                fake.imageURL(host: "www.giantbomb.com", path: "/a/uploads/original/20/201266/3532465-2909474649-co4jn.png"),
                fake.imageURL(host: "www.giantbomb.com", path: "/a/uploads/scale_large/20/201266/3532465-2909474649-co4jn.jpg"),
            ])
            let request = try #require(fake.requests.first)
            #expect(request.path == "/api/games/")
            #expect(request.query == [
                "api_key": FakeProvider.Credentials.giantBombAPIKey, "format": "json", "filter": "name:Elden Ring",
                "field_list": "name,image", "limit": "10",
            ])
            #expect(request.header("User-Agent") == LoopbackHTTP.userAgent)
        }
    }

    @Test("a wrong key, a refused User-Agent and status_code 100 are configuration errors; 101 is not found")
    func envelopeCodes() async throws {
        try await FakeProvider.with(.giantBomb) { fake in
            var settings = fake.settings
            settings[.giantBombKey] = "wrong"
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(settings) }
                == .configuration("GiantBomb rejected the credentials (HTTP 401)"))

            fake.scenario = .reply(status: 403, body: "Wrong user agent")
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) }
                == .configuration("GiantBomb refused the User-Agent or key (HTTP 403)"))

            fake.scenario = .reply(status: 200, body: FakeBodies.giantBombInvalidKey)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) }
                == .configuration("GiantBomb rejected the API key (status_code 100)"))

            fake.scenario = .reply(status: 200, body: #"{"error":"Object Not Found","status_code":101,"results":[]}"#)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .notFound)
        }
    }

    @Test("a comma in the title does not start another filter")
    func comma() async throws {
        try await FakeProvider.with(.giantBomb) { fake in
            _ = try await Self.lookup(fake.settings, title: "Warhammer 40,000: Space Marine")
            #expect(fake.requests.first?.query["filter"] == "name:Warhammer 40 000: Space Marine")
        }
    }
}

@Suite("IGDB against its fake")
struct IGDBProviderTests {
    static func provider(_ settings: ProviderSettings) -> IGDBProvider {
        IGDBProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
    }

    static func lookup(_ provider: IGDBProvider, title: String = "The Witcher 3: Wild Hunt") async throws(ProviderFailure) -> [ImageCandidate] {
        try await provider.candidates(for: LookupQuery(mediaType: .games, title: title), context: LookupContext(productLookup: nil))
    }

    @Test("a Twitch token, then the games search with Client-ID and Bearer; cover_big over https")
    func byName() async throws {
        try await FakeProvider.with(.igdb) { fake in
            let candidates = try await Self.lookup(Self.provider(fake.settings))
            #expect(candidates.map(\.url) == [fake.imageURL(host: "images.igdb.com", path: "/igdb/image/upload/t_cover_big/co1wyy.jpg")])
            let token = try #require(fake.requests(to: .twitch).first)
            #expect(token.method == "POST" && token.path == "/oauth2/token")
            #expect(token.query == [
                "client_id": FakeProvider.Credentials.igdbClientID, "client_secret": FakeProvider.Credentials.igdbClientSecret,
                "grant_type": "client_credentials",
            ])
            let search = try #require(fake.requests(to: .igdb).first)
            #expect(search.method == "POST" && search.path == "/v4/games")
            #expect(search.header("Client-ID") == FakeProvider.Credentials.igdbClientID)
            #expect(search.header("Authorization") == "Bearer fake-twitch-token-1")
            #expect(search.bodyText == #"fields name,cover.url,first_release_date; search "The Witcher 3: Wild Hunt"; limit 10;"#)
        }
    }

    @Test("protocol-relative cover URLs become https")
    func protocolRelative() async throws {
        try await FakeProvider.with(.igdb) { fake in
            fake.options.rewriteImageURLs = false
            let candidates = try await Self.lookup(Self.provider(fake.settings))
            #expect(candidates.map(\.url) == ["https://images.igdb.com/igdb/image/upload/t_cover_big/co1wyy.jpg"])
        }
    }

    @Test("quotes and backslashes in the title are escaped")
    func escaping() async throws {
        try await FakeProvider.with(.igdb) { fake in
            _ = try await Self.lookup(Self.provider(fake.settings), title: #"Say "Hi" \o/"#)
            #expect(fake.requests(to: .igdb).first?.bodyText == #"fields name,cover.url,first_release_date; search "Say \"Hi\" \\o/"; limit 10;"#)
        }
    }

    @Test("the token is requested once for many lookups, also concurrent ones")
    func tokenCached() async throws {
        try await FakeProvider.with(.igdb) { fake in
            let provider = Self.provider(fake.settings)
            _ = try await Self.lookup(provider)
            _ = try await Self.lookup(provider)
            #expect(fake.requests(to: .twitch).count == 1)
            #expect(fake.requests(to: .igdb).count == 2)

            let fresh = Self.provider(fake.settings)
            fake.setScenario(.slow(.milliseconds(200)), for: .twitch)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await Self.lookup(fresh).count } }
                for try await count in group { #expect(count == 1) }
            }
            #expect(fake.requests(to: .twitch).count == 2)
        }
    }

    @Test("a token that expires within a minute is not reused")
    func shortLivedToken() async throws {
        try await FakeProvider.with(.igdb) { fake in
            fake.options.tokenLifetime = 30
            let provider = Self.provider(fake.settings)
            _ = try await Self.lookup(provider)
            _ = try await Self.lookup(provider)
            #expect(fake.requests(to: .twitch).count == 2)
        }
    }

    @Test("a revoked token is renewed once and the search retried once")
    func renewedOn401() async throws {
        try await FakeProvider.with(.igdb) { fake in
            let provider = Self.provider(fake.settings)
            _ = try await Self.lookup(provider)
            fake.revokeTokens()
            let candidates = try await Self.lookup(provider)
            #expect(candidates.count == 1)
            #expect(fake.requests(to: .twitch).count == 2)
            #expect(fake.requests(to: .igdb).map { $0.header("Authorization") } == [
                "Bearer fake-twitch-token-1", "Bearer fake-twitch-token-1", "Bearer fake-twitch-token-2",
            ])
        }
    }

    @Test("a 401 that survives a new token is a configuration error, after one retry")
    func persistent401() async throws {
        try await FakeProvider.with(.igdb) { fake in
            fake.setScenario(.reply(status: 401, body: #"{"message":"Authorization Failure. Have you tried:"}"#), for: .igdb)
            let result = await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(Self.provider(fake.settings)) }
            #expect(result == .configuration("IGDB rejected the credentials (HTTP 401)"))
            #expect(fake.requests(to: .igdb).count == 2)
            #expect(fake.requests(to: .twitch).count == 2)
        }
    }

    @Test("a wrong client secret or ID is a configuration error, and IGDB is never asked")
    func badClient() async throws {
        try await FakeProvider.with(.igdb) { fake in
            var settings = fake.settings
            settings[.igdbClientSecret] = "wrong"
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(Self.provider(settings)) }
                == .configuration("Twitch rejected the IGDB client credentials (HTTP 403): invalid client secret"))
            settings = fake.settings
            settings[.igdbClientID] = "wrong"
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(Self.provider(settings)) }
                == .configuration("Twitch rejected the IGDB client credentials (HTTP 400): invalid client"))
            #expect(fake.requests(to: .igdb).isEmpty)
        }
    }
}
