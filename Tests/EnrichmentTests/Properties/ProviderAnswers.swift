import SeededRandom
import Foundation
import Outbound
import Synchronization

/// The real answers of every provider endpoint (the fixtures in `Tests/Fixtures/providers`, and the
/// documented bodies that have no fixture), found by the request's path.
enum ProviderAnswers {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/providers")

    static func fixture(_ name: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Bodies the endpoint at `path` really answers: its hits, misses and errors.
    static func bodies(for path: String) -> [String] {
        let named: [String]
        var inline: [String] = []
        switch path {
        case "/api/books":
            named = ["openlibrary-books-api-isbn-9780980200447.json", "openlibrary-books-api-no-match.json"]
            // Keyed by the bibkey asked for: the fixture's, rewritten for the ISBN the tests ask.
            inline = (fixture(named[0]).map { [$0.replacingOccurrences(of: "ISBN:9780980200447", with: "ISBN:\(isbn)")] } ?? [])
        case "/search.json":
            named = []
            inline = [#"{"numFound":2,"start":0,"numFoundExact":true,"num_found":2,"docs":[{"key":"/works/OL12893017W","title":"Slow reading","cover_i":5546156},{"key":"/works/OL12893018W","title":"Slow reading (summary)"}]}"#]
        case "/books/v1/volumes":
            named = ["googlebooks-volumes-isbn-9781429952040.json", "googlebooks-volumes-no-match.json"]
            inline = [googleError]
        case _ where path.hasPrefix("/books/v1/volumes/"):
            named = ["googlebooks-volume-QCPBDwAAQBAJ.json"]
            inline = [googleError]
        case "/prod/trial/lookup", "/prod/v1/lookup":
            named = ["upcitemdb-trial-lookup-9780441018697.json", "upcitemdb-trial-lookup-no-match.json", "upcitemdb-429-body.json"]
            inline = [#"{"code":"INVALID_UPC","message":"Not a valid UPC code."}"#]
        case "/3/search/movie":
            named = ["tmdb-search-movie-the-matrix.json", "tmdb-429-body.json"]
        case "/api/games/":
            named = ["giantbomb-games-filter-elden-ring.json"]
            inline = [
                #"{"error":"Rate Limit Exceeded.  Slow down cowboy.","limit":0,"offset":0,"number_of_page_results":0,"number_of_total_results":0,"status_code":107,"results":[]}"#,
                #"{"error":"Invalid API Key","limit":0,"offset":0,"number_of_page_results":0,"number_of_total_results":0,"status_code":100,"results":[]}"#,
            ]
        case "/oauth2/token":
            named = []
            inline = [#"{"access_token":"fake-twitch-token","expires_in":5011271,"token_type":"bearer"}"#, #"{"status":403,"message":"invalid client secret"}"#]
        case "/v4/games":
            named = ["igdb-games-search.json"]
        case "/ws/2/release/":
            named = ["musicbrainz-release-search-barcode.json"]
        case _ where path.hasPrefix("/ws/2/release/"):
            named = ["musicbrainz-release-lookup-cover-art-flags.json"]
        case _ where path.hasPrefix("/release/"):
            named = ["coverartarchive-release-listing.json"]
        default:
            named = []
        }
        return named.compactMap(fixture) + inline
    }

    /// The ISBN the tests look books up by.
    static let isbn = "9780980200447"

    static let googleError = #"{"error":{"code":429,"message":"Quota exceeded.","errors":[{"message":"Quota exceeded.","domain":"usageLimits","reason":"rateLimitExceeded"}],"status":"RESOURCE_EXHAUSTED"}}"#
}

/// An HTTP client that never touches the network: every request gets a random answer built from the
/// real ones for its path (most often mutated), with a random status and random headers. Deterministic
/// for a seed, since providers send their requests one after another. `pristine` answers every request
/// with the real hit, 200 and nothing else: the control a property run starts with.
final class RandomProviderAnswers: HTTPFetching {
    private struct State {
        var generator: SplitMix64
        var log: [String] = []
    }

    private let state: Mutex<State>
    let now: Date
    let pristine: Bool

    init(seed: UInt64, now: Date, pristine: Bool = false) {
        state = Mutex(State(generator: SplitMix64(seed: seed)))
        self.now = now
        self.pristine = pristine
    }

    /// The exchanges so far, one line each: for failure messages.
    var log: [String] { state.withLock { $0.log } }

    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        let path = URLComponents(string: request.url)?.path ?? request.url
        let now = self.now
        if pristine {
            let body = ProviderAnswers.bodies(for: path).first ?? ""
            state.withLock { $0.log.append("\(request.method) \(path) -> 200 (the real answer)") }
            return OutboundResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8), url: request.url)
        }
        let (response, failure) = state.withLock { state -> (OutboundResponse?, OutboundError?) in
            var generator = state.generator
            defer { state.generator = generator }
            if generator.chance(0.03) {
                state.log.append("\(request.method) \(path) -> timeout")
                return (nil, .timeout)
            }
            let status = generator.chance(0.55) ? 200 : generator.pick([200, 204, 301, 400, 401, 403, 404, 420, 429, 500, 502, 503, 0, 999])
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let name = generator.pick(["Retry-After", "X-RateLimit-Reset", "x-ratelimit-reset", "X-RateLimit-Remaining", "X-RateLimit-Limit",
                                           "Content-Length", "Date", "retry-after"])
                headers.append((name, Extremes.headerValue(now: now, using: &generator)))
            }
            let real = ProviderAnswers.bodies(for: path)
            let body: String
            switch Double.random(in: 0..<1, using: &generator) {
            case ..<0.6 where !real.isEmpty: body = JSONMutator.mutate(generator.pick(real), using: &generator)
            case ..<0.8 where !real.isEmpty: body = generator.pick(real)
            case ..<0.9: body = generator.pick(["", "null", "[]", "{}", "<html>Too Many Requests</html>", "\u{FEFF}{}", "1e400", "\"\""])
            default: body = String(decoding: (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self)
            }
            state.log.append("\(request.method) \(path) -> \(status) \(headers.dropFirst().map { "\($0.name): \($0.value.prefix(60))" }) \(body.prefix(120))")
            return (OutboundResponse(status: status, headers: headers, body: Array(body.utf8), url: request.url), nil)
        }
        if let failure { throw failure }
        return response!
    }
}
