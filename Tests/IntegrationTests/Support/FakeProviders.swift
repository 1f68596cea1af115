import Foundation
import HTTPCore
import Logging
import Synchronization

/// A local stand-in for one real provider (see `FakeProvider.Kind`), over real loopback HTTP: same
/// paths, query parameters, auth checks and status codes as the real API, replaying the fixtures in
/// `Tests/Fixtures/providers`, recording every request it receives.
final class FakeProvider: Sendable {
    let kind: Kind
    /// `http://127.0.0.1:{port}`.
    let baseURL: String

    private let server: LoopbackServer
    private let state: Mutex<State>

    struct State {
        var scenario = FakeScenario.hit
        var overrides: [FakeService: FakeScenario] = [:]
        var options = Options()
        var requests: [RecordedRequest] = []
        var images: [String: (contentType: String, bytes: Data)] = [:]
        var defaultImage: (contentType: String, bytes: Data)?
        var issuedTokens: [String] = []
        var revokedTokens: Set<String> = []
        var inFlight = 0
        var peakInFlight = 0
        /// Limits the fake enforces as the real provider does (see `FakeLimit`).
        var limits: [FakeLimit] = []
        /// Requests refused because they came faster than a limit allows.
        var refusedForRate = 0
        /// Server errors answered at random (see `FakeFaults`), and how many so far.
        var faults: FakeFaults?
        var injectedServerErrors = 0
    }

    /// Knobs for the data the fake serves.
    struct Options: Sendable {
        /// Image URLs in fixtures point at this fake; false replays them verbatim (real hosts).
        var rewriteImageURLs = true
        /// UPCitemdb: the product title to serve instead of the fixture's.
        var productTitle: String?
        /// MusicBrainz: the barcode exactly as MusicBrainz stores it (the fixture's, without a leading 0).
        var storedBarcode = "693723650725"
        /// MusicBrainz: `cover-art-archive.front` of the release lookup.
        var coverArtFront = true
        /// Twitch: `expires_in` of issued tokens.
        var tokenLifetime = 5_011_271
    }

    private init(kind: Kind, server: LoopbackServer) {
        self.kind = kind
        self.server = server
        self.baseURL = "http://127.0.0.1:\(server.port)"
        self.state = Mutex(State())
    }

    /// Starts a fake on a free loopback port, runs `body` with it, and stops it whatever happens.
    static func with<T>(_ kind: Kind, _ body: (FakeProvider) async throws -> T) async throws -> T {
        let fake = try await start(kind)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Two fakes at once, for a provider that asks another (TMDb asks UPCitemdb for a title).
    static func with<T>(_ first: Kind, _ second: Kind, _ body: (FakeProvider, FakeProvider) async throws -> T) async throws -> T {
        let one = try await start(first)
        let two: FakeProvider
        do { two = try await start(second) } catch { await one.stop(); throw error }
        do {
            let result = try await body(one, two)
            await one.stop()
            await two.stop()
            return result
        } catch {
            await one.stop()
            await two.stop()
            throw error
        }
    }

    static func start(_ kind: Kind) async throws -> FakeProvider {
        let server = try await LoopbackServer.start(timeout: .seconds(30))
        let fake = FakeProvider(kind: kind, server: server)
        server.handle { [weak fake] request in
            guard let fake else { return HTTPResponse(status: .serviceUnavailable) }
            return try await fake.handle(request)
        }
        return fake
    }

    /// Stops serving, closing every connection at once.
    func stop() async {
        await server.stop()
    }

    // MARK: Scenario and options

    /// The scenario of every service without an override of its own. Setting it clears the overrides.
    var scenario: FakeScenario {
        get { state.withLock { $0.scenario } }
        set { state.withLock { $0.scenario = newValue; $0.overrides = [:] } }
    }

    /// One service answers differently from the rest (e.g. the Cover Art Archive throttles).
    func setScenario(_ scenario: FakeScenario, for service: FakeService) {
        state.withLock { $0.overrides[service] = scenario }
    }

    var options: Options {
        get { state.withLock { $0.options } }
        set { state.withLock { $0.options = newValue } }
    }

    /// What the route of `service` answers now. Images follow the default scenario only for
    /// `.hitWithDeadImage`: an API that throttles does not stop its image host serving.
    func scenario(for service: FakeService) -> FakeScenario {
        state.withLock { state in
            if let override = state.overrides[service] { return override }
            if service == .images { return state.scenario == .hitWithDeadImage ? .hitWithDeadImage : .hit }
            return state.scenario
        }
    }

    // MARK: Images

    /// Serves `bytes` at `path` (a path under `/img/`, or an Open Library covers path).
    func setImage(_ bytes: Data, contentType: String = "image/jpeg", at path: String) {
        state.withLock { $0.images[path] = (contentType, bytes) }
    }

    /// Serves `bytes` for every image path nobody registered (instead of the 1x1 GIF).
    func setDefaultImage(_ bytes: Data, contentType: String = "image/jpeg") {
        state.withLock { $0.defaultImage = (contentType, bytes) }
    }

    func image(at path: String) -> (contentType: String, bytes: Data) {
        state.withLock { $0.images[path] ?? $0.defaultImage } ?? ("image/gif", FakeProvider.onePixelGIF)
    }

    /// The URL under which this fake serves an image the real service has at `host` + `path`.
    func imageURL(host: String, path: String) -> String { "\(baseURL)/img/\(host)\(path)" }

    /// A 1x1 transparent GIF, served for any image nobody registered.
    static let onePixelGIF = Data([
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ])

    // MARK: Tokens (Twitch)

    func issueToken() -> String {
        state.withLock { state in
            let token = "fake-twitch-token-\(state.issuedTokens.count + 1)"
            state.issuedTokens.append(token)
            return token
        }
    }

    func isValidToken(_ token: String) -> Bool {
        state.withLock { $0.issuedTokens.contains(token) && !$0.revokedTokens.contains(token) }
    }

    /// Every token issued so far stops working, as when Twitch revokes them before they expire.
    func revokeTokens() {
        state.withLock { $0.revokedTokens.formUnion($0.issuedTokens) }
    }

    // MARK: What was received

    /// Runs `body` on the fake's state, for its extensions in other files.
    func withState<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// The most requests this fake was answering at one time.
    var peakInFlight: Int { state.withLock { $0.peakInFlight } }

    func requests(to service: FakeService) -> [RecordedRequest] {
        requests.filter { $0.service == service }
    }

    /// Waits until at least `count` requests reached `service` (any service when nil).
    func waitForRequests(_ count: Int, to service: FakeService? = nil, deadline: Duration = .seconds(10)) async throws {
        try await waitUntil(deadline: deadline) {
            self.requests.filter { service == nil || $0.service == service }.count >= count
        }
    }

    // MARK: Serving

    private func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = Data(request.body)
        // The raw path, percent-encoded and with the trailing slash that GiantBomb's `/api/games/` and
        // MusicBrainz's `/ws/2/release/` keep.
        let path = String(request.path)
        let route = kind.routes.first { $0.method == request.method.rawValue && $0.matches(path) }
        let recorded = RecordedRequest(
            service: route?.service, method: request.method.rawValue, path: path,
            queryItems: Self.queryItems(request), headers: request.headers.fields, body: body, time: ContinuousClock.now
        )
        let (tooFast, broken) = state.withLock { state in
            state.requests.append(recorded)
            state.inFlight += 1
            state.peakInFlight = max(state.peakInFlight, state.inFlight)
            let tooFast = state.limits.contains { $0.isExceeded(by: recorded, among: state.requests) }
            if tooFast { state.refusedForRate += 1 }
            let broken = !tooFast && route.map { state.faults?.strikes($0.service) ?? false } ?? false
            if broken { state.injectedServerErrors += 1 }
            return (tooFast, broken)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let route else {
            return Self.response(.text("no such route: \(request.method.rawValue) \(path)", status: 404))
        }
        if tooFast { return Self.response(kind.spec(route.service).throttle) }
        if broken { return Self.response(.text("Internal error", status: kind.spec(route.service).serverErrorStatus, contentType: "text/html")) }
        return Self.response(try await answer(route, recorded))
    }

    private func answer(_ route: FakeRoute, _ request: RecordedRequest) async throws -> FakeReply {
        let exchange = FakeExchange(fake: self, request: request, scenario: .hit)
        if let rejection = route.authorize(exchange) { return rejection }
        let spec = kind.spec(route.service)
        switch scenario(for: route.service) {
        case .throttle where route.unthrottled(exchange):
            return route.respond(exchange)
        case .throttle(let retryAfter):
            var reply = spec.throttle
            if let retryAfter { reply.headers["Retry-After"] = retryAfter }
            return reply
        case .serverError:
            return .text("Internal error", status: spec.serverErrorStatus, contentType: "text/html")
        case .reply(let status, let body, let headers):
            return FakeReply(status: status, headers: headers.merging(["Content-Type": "application/json"]) { lhs, _ in lhs }, body: Data(body.utf8))
        case .slow(let delay):
            try await Task.sleep(for: delay)
            return route.respond(exchange)
        case .malformedJSON:
            var reply = route.respond(exchange)
            reply.body = reply.body.prefix(reply.body.count / 2)
            return reply
        case .hit:
            return route.respond(exchange)
        case .miss:
            return route.respond(FakeExchange(fake: self, request: request, scenario: .miss))
        case .hitWithDeadImage:
            return route.respond(FakeExchange(fake: self, request: request, scenario: .hitWithDeadImage))
        }
    }

    /// The query items, percent-decoded (`+` stays `+`); a value-less item has the value "".
    private static func queryItems(_ request: HTTPRequest) -> [(name: String, value: String)] {
        guard let query = request.query, !query.isEmpty else { return [] }
        return URLComponents(string: request.target)?.queryItems?.map { ($0.name, $0.value ?? "") } ?? []
    }

    private static func response(_ reply: FakeReply) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers[name] = value }
        return HTTPResponse(status: HTTPStatus(reply.status, phrase(reply.status)), headers: headers, bytes: Array(reply.body))
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 420: "Enhance Your Calm"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

/// An HTTPCore server on one loopback address, started and listening: for fakes and receivers. Every
/// request goes to the handler set with `handle(_:)` (404 until one is); a handler that throws is
/// answered 500 with no body.
final class LoopbackServer: Sendable {
    typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    let host: String
    let port: UInt16
    private let running: Task<Void, any Error>
    private let responder: Responder

    private init(host: String, port: UInt16, running: Task<Void, any Error>, responder: Responder) {
        self.host = host
        self.port = port
        self.running = running
        self.responder = responder
    }

    /// "http://host:port" with an IPv6 host bracketed.
    var base: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    /// `host` is an IPv4 or IPv6 literal; `port` 0 picks a free one (see `port`). `timeout`: how long a
    /// handler may take before the request is refused.
    static func start(host: String = "127.0.0.1", port: UInt16 = 0, timeout: Duration) async throws -> LoopbackServer {
        let responder = Responder()
        let configuration = HTTPServerConfiguration(
            host: host, port: Int(port), limits: HTTPLimits(maxBodyBytes: 1 << 30), requestTimeout: timeout, accessLog: false
        )
        let server = HTTPServer(configuration: configuration, responder: responder,
                                logger: Logger(label: "loopback-server") { _ in SwiftLogNoOpLogHandler() })
        let running = Task { try await server.run() }
        let bound: Int
        do {
            bound = try await server.waitUntilListening()
        } catch {
            running.cancel()
            throw error
        }
        return LoopbackServer(host: host, port: UInt16(bound), running: running, responder: responder)
    }

    func handle(_ handler: @escaping Handler) {
        responder.handler.withLock { $0 = handler }
    }

    /// Stops at once: cancelling the task that runs the server closes every connection, busy or idle
    /// (a graceful shutdown would wait for clients that keep a connection alive).
    func stop() async {
        running.cancel()
        _ = await running.result
    }

    private final class Responder: HTTPResponder {
        let handler = Mutex<Handler?>(nil)

        func respond(to request: HTTPRequest, context: HTTPRequestContext) async -> HTTPResponse {
            guard let handler = handler.withLock({ $0 }) else { return HTTPResponse(status: .notFound) }
            do {
                return try await handler(request)
            } catch {
                return HTTPResponse(status: .internalServerError)
            }
        }
    }
}
