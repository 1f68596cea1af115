import Foundation
import Outbound
import Testing
@testable import Enrichment

@Suite("Provider HTTP helpers")
struct ProviderHTTPTests {
    struct Failing: HTTPFetching {
        let error: OutboundError
        func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse { throw error }
    }

    static let http = ProviderHTTP(service: "TMDb", fetcher: Failing(error: .timeout), throttleStatuses: [429])

    static func response(_ status: Int, _ headers: [(name: String, value: String)] = [], body: String = "{}") -> OutboundResponse {
        OutboundResponse(status: status, headers: headers, body: Array(body.utf8), url: "http://example.org")
    }

    @Test("statuses are classified", arguments: [
        (200, nil), (204, nil),
        (429, ProviderFailure.throttled(retryAfter: nil)),
        (401, .configuration("TMDb rejected the credentials (HTTP 401)")),
        (403, .configuration("TMDb rejected the credentials (HTTP 403)")),
        (404, .transient("HTTP 404")), (500, .transient("HTTP 500")), (503, .transient("HTTP 503")), (418, .transient("HTTP 418")),
    ] as [(Int, ProviderFailure?)])
    func classify(status: Int, expected: ProviderFailure?) {
        switch Self.http.classify(Self.response(status)) {
        case .success: #expect(expected == nil)
        case .failure(let failure): #expect(failure == expected)
        }
    }

    @Test("404 is not found only where the provider says so")
    func notFound() {
        var http = Self.http
        http.notFoundStatuses = [404]
        #expect(throws: ProviderFailure.notFound) { try http.classify(Self.response(404)).get() }
    }

    @Test("Retry-After as delta-seconds or HTTP date, never negative")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.parse("2", now: now) == .seconds(2))
        #expect(RetryAfter.parse(" 120 ", now: now) == .seconds(120))
        #expect(RetryAfter.parse(RetryAfter.format(now.addingTimeInterval(30)), now: now) == .seconds(30))
        #expect(RetryAfter.parse(RetryAfter.format(now.addingTimeInterval(-30)), now: now) == .seconds(0))
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:13:50 CET", now: now) == nil)
        let throttled = ProviderHTTP(service: "x", fetcher: Failing(error: .timeout), throttleStatuses: [503])
            .classify(Self.response(503, [("retry-after", "7")]), now: now)
        #expect(throttled == .failure(.throttled(retryAfter: .seconds(7))))
    }

    @Test("transport failures are transient, described", arguments: [
        (OutboundError.timeout, "timeout"), (.connectTimeout, "connect timeout"),
        (.blockedAddress("10.0.0.1 is private"), "address refused: 10.0.0.1 is private"),
        (.invalidURL("ftp://x"), "invalid URL: ftp://x"), (.connection("refused"), "connection failed: refused"),
    ])
    func transport(error: OutboundError, detail: String) async {
        let http = ProviderHTTP(service: "x", fetcher: Failing(error: error), throttleStatuses: [])
        await #expect(throws: ProviderFailure.transient(detail)) { try await http.body(OutboundRequest(url: "http://example.org")) }
    }

    struct Shape: Decodable { var items: [Item]; struct Item: Decodable { var title: String } }

    @Test("malformed JSON says where", arguments: [
        ("{\"items\":[{\"title\":", "malformed JSON: not valid JSON"),
        ("{\"items\":{}}", "malformed JSON: expected Array<Any> at items"),
        ("{\"items\":[{}]}", "malformed JSON: missing \"title\" at items[0]"),
        ("{}", "malformed JSON: missing \"items\" at the top level"),
    ])
    func malformed(body: String, detail: String) {
        #expect(throws: ProviderFailure.transient(detail)) { try ProviderHTTP.decode(Shape.self, from: Array(body.utf8)) }
    }

    @Test("query values are percent-encoded, spaces as %20")
    func urls() {
        #expect(ProviderURL.make("http://h", "/p", query: [("q", "intitle:Tom & Jerry+\"Friends\" é"), ("k", "a=b")])
            == "http://h/p?q=intitle%3ATom%20%26%20Jerry%2B%22Friends%22%20%C3%A9&k=a%3Db")
        #expect(ProviderURL.make("http://h/", "/p") == "http://h/p")
    }
}
