import Foundation

/// One request as the fake received it.
struct RecordedRequest: Sendable {
    var service: FakeService?
    var method: String
    /// Percent-encoded, as sent.
    var path: String
    /// Decoded query items; `query[name]` is the first value.
    var queryItems: [(name: String, value: String)]
    var headers: [(name: String, value: String)]
    var body: Data
    var time: ContinuousClock.Instant

    var query: [String: String] {
        var query: [String: String] = [:]
        for item in queryItems where query[item.name] == nil { query[item.name] = item.value }
        return query
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An answer a route gives.
struct FakeReply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    init(status: Int = 200, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> FakeReply {
        FakeReply(status: status, headers: headers.merging(["Content-Type": "application/json; charset=utf-8"]) { $1 }, body: Data(text.utf8))
    }

    static func text(_ text: String, status: Int, contentType: String = "text/plain; charset=utf-8") -> FakeReply {
        FakeReply(status: status, headers: ["Content-Type": contentType], body: Data(text.utf8))
    }
}

/// One request on its way through a route: what was asked, and whether to answer a hit or a miss.
struct FakeExchange: Sendable {
    let fake: FakeProvider
    let request: RecordedRequest
    /// `.hit`, `.miss` or `.hitWithDeadImage`: the other scenarios never reach a route.
    let scenario: FakeScenario

    var query: [String: String] { request.query }
    var isMiss: Bool { scenario == .miss }
    var imagesAreDead: Bool { scenario == .hitWithDeadImage }

    /// A 400 unless every `expected` query item has that value and every `present` one is there.
    func requireQuery(_ expected: [String: String], present: [String] = []) -> FakeReply? {
        for (name, value) in expected where query[name] != value {
            return .json(#"{"error":"query parameter \#(name) must be \#(value), got \#(query[name] ?? "nothing")"}"#, status: 400)
        }
        for name in present where (query[name] ?? "").isEmpty {
            return .json(#"{"error":"query parameter \#(name) is required"}"#, status: 400)
        }
        return nil
    }
}

/// One path a fake serves.
struct FakeRoute: Sendable {
    var service: FakeService
    var method = "GET"
    var matches: @Sendable (String) -> Bool
    /// The real API's answer to missing or wrong credentials or parameters; nil lets the request through.
    var authorize: @Sendable (FakeExchange) -> FakeReply? = { _ in nil }
    /// Requests the service never throttles (Open Library covers by ID).
    var unthrottled: @Sendable (FakeExchange) -> Bool = { _ in false }
    var respond: @Sendable (FakeExchange) -> FakeReply

    static func path(_ path: String) -> @Sendable (String) -> Bool { { $0 == path } }
    static func prefix(_ prefix: String) -> @Sendable (String) -> Bool { { $0.hasPrefix(prefix) } }
}

/// How a service answers "slow down" and "broken".
struct FakeServiceSpec: Sendable {
    var throttle: FakeReply
    var serverErrorStatus: Int
}
