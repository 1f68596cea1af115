import Foundation

/// The route tables: per provider, the real paths, parameters, auth checks and answers.
extension FakeProvider {
    enum Kind: String, Sendable, CaseIterable {
        case openLibrary, googleBooks, upcItemDB, tmdb, giantBomb, igdb, musicBrainz

        var routes: [FakeRoute] {
            let routes: [FakeRoute] = switch self {
            case .openLibrary: FakeRoutes.openLibrary
            case .googleBooks: FakeRoutes.googleBooks
            case .upcItemDB: FakeRoutes.upcItemDB
            case .tmdb: FakeRoutes.tmdb
            case .giantBomb: FakeRoutes.giantBomb
            case .igdb: FakeRoutes.igdb
            case .musicBrainz: FakeRoutes.musicBrainz
            }
            return routes + [FakeRoutes.images]
        }

        /// How each service says "slow down" (the real status and body) and "broken".
        func spec(_ service: FakeService) -> FakeServiceSpec {
            switch service {
            case .openLibrary:
                FakeServiceSpec(throttle: .text("Too Many Requests", status: 429, contentType: "text/html"), serverErrorStatus: 503)
            case .openLibraryCovers:
                // Covers by ISBN/OCLC/LCCN: 100 per 5 minutes per IP, then 403.
                FakeServiceSpec(throttle: .text("Forbidden", status: 403, contentType: "text/html"), serverErrorStatus: 503)
            case .googleBooks, .googleBooksVolume:
                FakeServiceSpec(throttle: .json(FakeBodies.googleQuota(code: 429, reason: "rateLimitExceeded"), status: 429), serverErrorStatus: 503)
            case .upcItemDB:
                FakeServiceSpec(throttle: .json(FakeProvider.fixtureText("upcitemdb-429-body.json"), status: 429), serverErrorStatus: 500)
            case .tmdb:
                FakeServiceSpec(throttle: .json(FakeProvider.fixtureText("tmdb-429-body.json"), status: 429), serverErrorStatus: 503)
            case .giantBomb:
                FakeServiceSpec(throttle: .json(FakeBodies.giantBombRateLimit, status: 420), serverErrorStatus: 502)
            case .igdb, .twitch:
                FakeServiceSpec(throttle: .json(#"[{"title":"Too Many Requests","status":429}]"#, status: 429), serverErrorStatus: 500)
            case .musicBrainz:
                FakeServiceSpec(throttle: .json(FakeBodies.musicBrainzRateLimit, status: 503), serverErrorStatus: 502)
            case .coverArtArchive:
                FakeServiceSpec(throttle: .text("Service Unavailable", status: 503, contentType: "text/html"), serverErrorStatus: 502)
            case .images:
                FakeServiceSpec(throttle: .text("Slow down", status: self == .openLibrary ? 403 : self == .musicBrainz ? 503 : 429), serverErrorStatus: 502)
            }
        }
    }
}

enum FakeRoutes {
    /// `/img/{host}/{path}`: registered bytes, or a 1x1 GIF; 404 for `.hitWithDeadImage`.
    static let images = FakeRoute(service: .images, matches: FakeRoute.prefix("/img/")) { x in
        if x.imagesAreDead || x.isMiss { return .text("Not Found", status: 404) }
        let image = x.fake.image(at: x.request.path)
        return FakeReply(headers: ["Content-Type": image.contentType], body: image.bytes)
    }

    // MARK: Open Library

    static let openLibrary: [FakeRoute] = [
        FakeRoute(service: .openLibrary, matches: FakeRoute.path("/api/books")) { x in
            if let bad = x.requireQuery(["format": "json", "jscmd": "data"], present: ["bibkeys"]) { return bad }
            let bibkey = x.query["bibkeys"] ?? ""
            if x.isMiss || !bibkey.hasPrefix("ISBN:") { return .json(FakeProvider.fixtureText("openlibrary-books-api-no-match.json")) }
            // The fixture answers for whichever ISBN was asked.
            return .json(x.fake.fixture("openlibrary-books-api-isbn-9780980200447.json").replacingOccurrences(of: "ISBN:9780980200447", with: bibkey))
        },
        FakeRoute(service: .openLibrary, matches: FakeRoute.path("/search.json")) { x in
            if let bad = x.requireQuery(["limit": "5", "fields": "key,title,cover_i"], present: ["title"]) { return bad }
            if x.isMiss { return .json(#"{"numFound":0,"start":0,"numFoundExact":true,"num_found":0,"docs":[]}"#) }
            return .json(#"{"numFound":2,"start":0,"numFoundExact":true,"num_found":2,"docs":[{"key":"/works/OL12893017W","title":"Slow reading","cover_i":5546156},{"key":"/works/OL12893018W","title":"Slow reading (summary)"}]}"#)
        },
        // `/b/{isbn|oclc|lccn|olid|id}/{value}-{S|M|L}.jpg`; by ID or OLID the covers are not rate limited.
        FakeRoute(service: .openLibraryCovers, matches: FakeRoute.prefix("/b/"), unthrottled: { x in
            x.request.path.hasPrefix("/b/id/") || x.request.path.hasPrefix("/b/olid/")
        }) { x in
            let parts = x.request.path.split(separator: "/")
            guard parts.count == 3, ["isbn", "oclc", "lccn", "olid", "id"].contains(parts[1]), parts[2].hasSuffix(".jpg") else {
                return .text("Not Found", status: 404)
            }
            if x.imagesAreDead { return .text("Not Found", status: 404) }
            if x.isMiss {
                // Without default=false Open Library answers a blank placeholder with 200.
                return x.query["default"] == "false" ? .text("Not Found", status: 404) : FakeReply(headers: ["Content-Type": "image/gif"], body: FakeProvider.onePixelGIF)
            }
            let image = x.fake.image(at: x.request.path)
            return FakeReply(headers: ["Content-Type": image.contentType], body: image.bytes)
        },
    ]

    // MARK: Google Books

    static let googleBooksKey: @Sendable (FakeExchange) -> FakeReply? = { x in
        x.query["key"] == FakeProvider.Credentials.googleBooksAPIKey ? nil : .json(FakeBodies.googleInvalidKey, status: 400)
    }

    static let googleBooks: [FakeRoute] = [
        // The search lists only smallThumbnail and thumbnail.
        FakeRoute(service: .googleBooks, matches: FakeRoute.path("/books/v1/volumes"), authorize: googleBooksKey) { x in
            if let bad = x.requireQuery([:], present: ["q"]) { return bad }
            return .json(x.isMiss ? FakeProvider.fixtureText("googlebooks-volumes-no-match.json") : x.fake.fixture("googlebooks-volumes-isbn-9781429952040.json"))
        },
        // `/books/v1/volumes/{id}`: the volume the search fixture names, with its larger imageLinks.
        FakeRoute(service: .googleBooksVolume, matches: FakeRoute.prefix("/books/v1/volumes/"), authorize: googleBooksKey) { x in
            guard !x.isMiss, x.request.path == "/books/v1/volumes/QCPBDwAAQBAJ" else { return .json(FakeBodies.googleVolumeNotFound, status: 404) }
            return .json(x.fake.fixture("googlebooks-volume-QCPBDwAAQBAJ.json"))
        },
    ]

    // MARK: UPCitemdb

    static let upcItemDB: [FakeRoute] = [
        FakeRoute(service: .upcItemDB, matches: { $0 == "/prod/trial/lookup" || $0 == "/prod/v1/lookup" }, authorize: { x in
            guard x.request.path == "/prod/v1/lookup" else { return nil }
            let valid = x.request.header("user_key") == FakeProvider.Credentials.upcItemDBUserKey && x.request.header("key_type") == "3scale"
            return valid ? nil : .json(#"{"code":"AUTH_ERR","message":"Auth failed: invalid user_key or key_type"}"#, status: 401)
        }) { x in
            guard let upc = x.query["upc"], !upc.isEmpty else { return .json(#"{"code":"INVALID_QUERY","message":"Missing upc"}"#, status: 400) }
            guard upc.allSatisfy(\.isNumber), [8, 10, 12, 13, 14].contains(upc.count) else {
                return .json(#"{"code":"INVALID_UPC","message":"Not a valid UPC code."}"#, status: 400)
            }
            if x.isMiss { return .json(FakeProvider.fixtureText("upcitemdb-trial-lookup-no-match.json")) }
            var body = x.fake.fixture("upcitemdb-trial-lookup-9780441018697.json")
            if let title = x.fake.options.productTitle {
                body = body.replacingOccurrences(of: #""title":"The Lost Fleet: Victorious - by Jack Campbell (Paperback)""#, with: #""title":\#(FakeBodies.jsonString(title))"#)
            }
            return .json(body)
        },
    ]

    // MARK: TMDb

    static let tmdb: [FakeRoute] = [
        FakeRoute(service: .tmdb, matches: FakeRoute.path("/3/search/movie"), authorize: { x in
            x.request.header("Authorization") == "Bearer \(FakeProvider.Credentials.tmdbToken)"
                ? nil : .json(#"{"status_code":7,"status_message":"Invalid API key: You must be granted a valid key.","success":false}"#, status: 401)
        }) { x in
            guard let query = x.query["query"], !query.isEmpty else { return .json(#"{"errors":["query must be provided"]}"#, status: 422) }
            if x.isMiss { return .json(#"{"page":1,"results":[],"total_pages":1,"total_results":0}"#) }
            return .json(x.fake.fixture("tmdb-search-movie-the-matrix.json"))
        },
    ]

    // MARK: GiantBomb

    static let giantBomb: [FakeRoute] = [
        FakeRoute(service: .giantBomb, matches: FakeRoute.path("/api/games/"), authorize: { x in
            // GiantBomb refuses generic or missing User-Agents before looking at the key.
            if (x.request.header("User-Agent") ?? "").isEmpty { return .text("Wrong user agent", status: 403, contentType: "text/html") }
            return x.query["api_key"] == FakeProvider.Credentials.giantBombAPIKey ? nil : .json(FakeBodies.giantBombInvalidKey, status: 401)
        }) { x in
            if let bad = x.requireQuery(["format": "json"], present: ["filter"]) { return bad }
            guard (x.query["filter"] ?? "").hasPrefix("name:") else { return .json(#"{"error":"filter must be field:value"}"#, status: 400) }
            if x.isMiss { return .json(FakeBodies.giantBombEmpty) }
            return .json(x.fake.fixture("giantbomb-games-filter-elden-ring.json"))
        },
    ]

    // MARK: IGDB and Twitch

    static let igdb: [FakeRoute] = [
        FakeRoute(service: .twitch, method: "POST", matches: FakeRoute.path("/oauth2/token")) { x in
            guard x.query["client_id"] == FakeProvider.Credentials.igdbClientID else { return .json(#"{"status":400,"message":"invalid client"}"#, status: 400) }
            guard x.query["client_secret"] == FakeProvider.Credentials.igdbClientSecret else {
                return .json(#"{"status":403,"message":"invalid client secret"}"#, status: 403)
            }
            guard x.query["grant_type"] == "client_credentials" else { return .json(#"{"status":400,"message":"unsupported grant type"}"#, status: 400) }
            let lifetime = x.fake.options.tokenLifetime
            return .json(#"{"access_token":"\#(x.fake.issueToken())","expires_in":\#(lifetime),"token_type":"bearer"}"#)
        },
        FakeRoute(service: .igdb, method: "POST", matches: FakeRoute.path("/v4/games"), authorize: { x in
            let token = (x.request.header("Authorization") ?? "").replacingOccurrences(of: "Bearer ", with: "")
            guard x.request.header("Client-ID") == FakeProvider.Credentials.igdbClientID, x.fake.isValidToken(token) else {
                return .json(#"{"message":"Authorization Failure. Have you tried:","Tip 1":"Ensure you are sending Authorization and Client-ID as headers.","Tip 2":"Ensure Authorization value starts with 'Bearer ', including the space","Tip 3":"Ensure Authorization value ends with the App Access Token you generated, NOT the Client Secret."}"#, status: 401)
            }
            return nil
        }) { x in
            let body = x.request.bodyText
            guard body.contains("fields "), body.contains("search \""), body.hasSuffix(";") else {
                return .json(#"[{"title":"Syntax Error","status":400,"cause":"Expecting a STRING as input, surround your input with quotes."}]"#, status: 400)
            }
            return .json(x.isMiss ? "[]" : x.fake.fixture("igdb-games-search.json"))
        },
    ]

    // MARK: MusicBrainz and the Cover Art Archive

    static let fixtureMBID = "7e2cd751-d89e-4449-a55f-a257fb5ab522"

    static let musicBrainz: [FakeRoute] = [
        FakeRoute(service: .musicBrainz, matches: FakeRoute.path("/ws/2/release/"), authorize: FakeBodies.requireUserAgent) { x in
            if let bad = x.requireQuery(["fmt": "json"], present: ["query"]) { return bad }
            let query = x.query["query"] ?? ""
            // A barcode matches only exactly as stored: with or without its leading 0, not both.
            let matches = query.hasPrefix("barcode:") ? query == "barcode:\(x.fake.options.storedBarcode)" : query.contains("release:")
            if x.isMiss || !matches { return .json(#"{"created":"2026-08-30T04:58:35.317Z","count":0,"offset":0,"releases":[]}"#) }
            return .json(FakeProvider.fixtureText("musicbrainz-release-search-barcode.json"))
        },
        FakeRoute(service: .musicBrainz, matches: FakeRoute.prefix("/ws/2/release/"), authorize: FakeBodies.requireUserAgent) { x in
            if let bad = x.requireQuery(["fmt": "json"]) { return bad }
            guard !x.isMiss, x.request.path == "/ws/2/release/\(fixtureMBID)" else {
                return .json(#"{"error":"Not Found","help":"For usage, please see: https://musicbrainz.org/development/mmd"}"#, status: 404)
            }
            let front = x.fake.options.coverArtFront
            return .json(FakeProvider.fixtureText("musicbrainz-release-lookup-cover-art-flags.json")
                .replacingOccurrences(of: #""front":true"#, with: #""front":\#(front)"#))
        },
        FakeRoute(service: .coverArtArchive, matches: FakeRoute.prefix("/release/")) { x in
            if x.isMiss { return .text("No cover art found for release \(x.request.path.dropFirst("/release/".count))", status: 404) }
            return .json(x.fake.fixture("coverartarchive-release-listing.json"))
        },
    ]
}

/// Real error and empty bodies that have no fixture file.
enum FakeBodies {
    static func googleQuota(code: Int, reason: String) -> String {
        #"{"error":{"code":\#(code),"message":"Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service 'books.googleapis.com'.","errors":[{"message":"Quota exceeded.","domain":"usageLimits","reason":"\#(reason)"}],"status":"\#(code == 429 ? "RESOURCE_EXHAUSTED" : "PERMISSION_DENIED")"}}"#
    }

    static let googleVolumeNotFound = #"{"error":{"code":404,"message":"The volume ID could not be found.","errors":[{"message":"The volume ID could not be found.","domain":"global","reason":"notFound"}]}}"#

    static let googleInvalidKey = #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","errors":[{"message":"API key not valid. Please pass a valid API key.","domain":"global","reason":"badRequest"}],"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#

    static let giantBombEmpty = #"{"error":"OK","limit":10,"offset":0,"number_of_page_results":0,"number_of_total_results":0,"status_code":1,"results":[],"version":"1.0"}"#
    static let giantBombInvalidKey = #"{"error":"Invalid API Key","limit":0,"offset":0,"number_of_page_results":0,"number_of_total_results":0,"status_code":100,"results":[]}"#
    static let giantBombRateLimit = #"{"error":"Rate Limit Exceeded.  Slow down cowboy.","limit":0,"offset":0,"number_of_page_results":0,"number_of_total_results":0,"status_code":107,"results":[]}"#

    static let musicBrainzRateLimit = #"{"error":"Your requests are exceeding the allowable rate limit. Please see https://wiki.musicbrainz.org/MusicBrainz_API/Rate_Limiting for more information.","help":"For usage, please see: https://musicbrainz.org/development/mmd"}"#

    static let requireUserAgent: @Sendable (FakeExchange) -> FakeReply? = { x in
        (x.request.header("User-Agent") ?? "").isEmpty ? .text("Please provide a meaningful User-Agent", status: 403) : nil
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
