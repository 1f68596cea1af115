import Foundation
import Outbound
import Testing
@testable import Enrichment

/// Numbers a provider sends, read without trusting them: absent when unreadable, clamped when out of
/// range, never a trap.
@Suite("Untrusted numbers from providers")
struct UntrustedNumberTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let day = Duration.seconds(86_400)

    static func response(_ status: Int, _ headers: [(name: String, value: String)]) -> OutboundResponse {
        OutboundResponse(status: status, headers: headers, body: Array(#"{"code":"TOO_FAST","message":"slow down"}"#.utf8), url: "http://x")
    }

    @Test("UPCitemdb's X-RateLimit-Reset: non-finite is absent, the past no wait, the far future a day", arguments: [
        ("inf", nil), ("-inf", nil), ("Infinity", nil), ("nan", nil), ("NaN", nil), ("1e400", nil), ("-1e400", nil), ("", nil), ("soon", nil),
        ("-1", Duration.zero), ("0", .zero), ("1699999999", .zero), ("1700000030", .seconds(30)), ("1700000000.2", .seconds(1)),
        ("99999999999999999999", day), ("1e308", day), ("1234567890123456789012345678901234567890", day), ("1700086401", day),
    ] as [(String, Duration?)])
    func rateLimitReset(_ value: String, _ expected: Duration?) {
        #expect(UPCItemDBProvider.rateLimitReset(Self.response(429, [("X-RateLimit-Reset", value)]), now: Self.now) == expected)
    }

    @Test("a 429 from UPCitemdb with any X-RateLimit-Reset is a throttle, with a wait of at most a day", arguments: [
        "inf", "-1", "1e400", "99999999999999999999", "", "nan",
    ])
    func upcThrottle(_ value: String) {
        let provider = UPCItemDBProvider(settings: ProviderSettings(), fetcher: RandomProviderAnswers(seed: 0, now: Self.now),
                                         logger: ProviderParsingPropertyTests.quiet)
        do throws(ProviderFailure) {
            let product = try provider.product(from: Self.response(429, [("X-RateLimit-Reset", value)]), now: Self.now)
            Issue.record("\(value): a product from a 429: \(product)")
        } catch {
            guard case .throttled(let wait) = error else { Issue.record("\(value): \(error)"); return }
            #expect(wait.map { $0 >= .zero && $0 <= Self.day } ?? true, "\(value): \(String(describing: wait))")
        }
    }

    @Test("Retry-After: digits of any length clamped to a day; dates in range; anything else absent", arguments: [
        ("5", Duration.seconds(5)), ("000000000000000000000005", .seconds(5)), ("86400", day), ("86401", day),
        ("99999999999999999999", day), (String(repeating: "9", count: 400), day), ("0", .zero),
        ("-1", nil), ("1e3", nil), ("inf", nil), ("nan", nil), ("", nil), ("3.5", nil),
        ("Fri, 31 Dec 9999 23:59:59 GMT", day), ("Thu, 01 Jan 1970 00:00:00 GMT", .zero), ("Tue, 14 Nov 2023 22:13:50 GMT", .seconds(30)),
        ("Sun, 00 Jan 2024 00:00:00 GMT", nil), ("Sun, 01 Jan 99999 00:00:00 GMT", nil),
    ] as [(String, Duration?)])
    func retryAfter(_ value: String, _ expected: Duration?) {
        #expect(RetryAfter.parse(value, now: Self.now) == expected)
    }

    struct Holder: Decodable { var n: ProviderNumber? }

    @Test("a JSON number is its value only when it is an exact integer a double holds", arguments: [
        ("12", 12), ("-1", -1), ("1e2", 100), ("100.0", 100), ("\"42\"", 42), ("\" 7 \"", 7), ("9007199254740992", 9_007_199_254_740_992),
        ("1e308", nil), ("-1e308", nil), ("1e400", nil), ("99999999999999999999", nil), ("1234567890123456789012345678901234567890", nil),
        ("1.5", nil), ("\"NaN\"", nil), ("\"inf\"", nil), ("\"\"", nil), ("true", nil), ("[]", nil), ("{}", nil), ("null", nil),
    ] as [(String, Int?)])
    func providerNumber(_ literal: String, _ expected: Int?) throws {
        let holder = try JSONDecoder().decode(Holder.self, from: Data(#"{"n":\#(literal)}"#.utf8))
        #expect(holder.n?.value == expected)
    }

    @Test("one odd number does not make an answer malformed")
    func oddFieldIgnored() throws {
        let body = #"{"docs":[{"key":"/works/1","cover_i":1e400},{"key":"/works/2","cover_i":99999999999999999999},{"key":"/works/3","cover_i":-5},{"key":"/works/4","cover_i":8}]}"#
        let result = try ProviderHTTP.decode(OpenLibraryProvider.SearchResponse.self, from: Array(body.utf8))
        #expect(result.docs.compactMap { $0.cover_i?.within(OpenLibraryProvider.coverIDs) } == [8])
        let releases = #"{"releases":[{"id":"a","score":1e308},{"id":"b","score":"x"},{"id":"c","score":90}]}"#
        let search = try ProviderHTTP.decode(MusicBrainzProvider.SearchResult.self, from: Array(releases.utf8))
        #expect(search.releases.map(\.relevance) == [0, 0, 90])
    }

    @Test("a Twitch token lifetime is clamped to 90 days; unreadable, an hour", arguments: [
        ("5011271", 5_011_271), ("-5", 0), ("1e400", 3600), ("99999999999999999999", 3600), ("\"x\"", 3600), ("1e15", 90 * 86_400),
    ] as [(String, Int)])
    func tokenLifetime(_ literal: String, _ expected: Int) throws {
        let body = #"{"access_token":"t","expires_in":\#(literal),"token_type":"bearer"}"#
        let answer = try JSONDecoder().decode(TwitchTokenSource.TokenResponse.self, from: Data(body.utf8))
        #expect(answer.lifetime == expected)
    }
}
