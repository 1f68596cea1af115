import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// A local stand-in for one real provider (see `FakeProvider.Kind`), over real loopback HTTP: same
/// paths, query parameters, auth checks and status codes as the real API, replaying the fixtures in
/// `Tests/Fixtures/providers`, recording every request it receives.
final class FakeProvider: Sendable {
    let kind: Kind
    /// `http://127.0.0.1:{port}`.
    let baseURL: String

    private let server: HTTPServer
    private let running: Task<Void, any Error>
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

    private init(kind: Kind, server: HTTPServer, running: Task<Void, any Error>, port: UInt16) {
        self.kind = kind
        self.server = server
        self.running = running
        self.baseURL = "http://127.0.0.1:\(port)"
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
        let (server, running, port) = try await LoopbackServer.start(timeout: 30)
        let fake = FakeProvider(kind: kind, server: server, running: running, port: port)
        await server.appendRoute("*") { [weak fake] request in
            guard let fake else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return try await fake.handle(request)
        }
        return fake
    }

    /// Stops serving. (`HTTPServer.stop(timeout:)` waits out its whole timeout while a client keeps a
    /// connection alive; cancelling the server task closes everything at once.)
    func stop() async {
        running.cancel()
        _ = await running.result
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
        let body = try await request.bodyData
        // The raw path: `request.path` is decoded and loses its trailing slash, which GiantBomb's
        // `/api/games/` and MusicBrainz's `/ws/2/release/` keep.
        let path = request.target.path()
        let route = kind.routes.first { $0.method == request.method.rawValue && $0.matches(path) }
        var headers: [(name: String, value: String)] = []
        for (name, value) in request.headers { headers.append((name.rawValue, value)) }
        let recorded = RecordedRequest(
            service: route?.service, method: request.method.rawValue, path: path,
            queryItems: request.query.map { ($0.name, $0.value) }, headers: headers, body: body, time: ContinuousClock.now
        )
        state.withLock { state in
            state.requests.append(recorded)
            state.inFlight += 1
            state.peakInFlight = max(state.peakInFlight, state.inFlight)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let route else {
            return Self.response(.text("no such route: \(request.method.rawValue) \(path)", status: 404))
        }
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

    private static func response(_ reply: FakeReply) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers[HTTPHeader(name)] = value }
        return HTTPResponse(statusCode: HTTPStatusCode(reply.status, phrase: phrase(reply.status)), headers: headers, body: reply.body)
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

/// A FlyingFox server on 127.0.0.1, started and listening: for fakes and receivers.
enum LoopbackServer {
    /// `port` 0 picks a free one; the port bound is returned.
    static func start(port: UInt16 = 0, timeout: TimeInterval) async throws -> (HTTPServer, Task<Void, any Error>, UInt16) {
        let server = HTTPServer(address: try sockaddr_in.inet(ip4: "127.0.0.1", port: port), timeout: timeout, logger: .disabled)
        let running = Task { try await server.run() }
        do {
            try await server.waitUntilListening(timeout: 10)
        } catch {
            running.cancel()
            throw error
        }
        guard case .ip4(_, let bound) = await server.listeningAddress else {
            running.cancel()
            throw TestFailure("the loopback server has no IPv4 address")
        }
        return (server, running, bound)
    }
}
