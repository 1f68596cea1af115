import Foundation
import HTTPCore
import Outbound
import Synchronization
import Testing

@Suite("HTTP client over libcurl, against local servers")
struct HTTPClientTests {
    // MARK: - Requests and responses

    @Test("GET returns status, body and headers; the server sees the configured User-Agent")
    func get() async throws {
        let server = try await LocalServer { _ in
            HTTPResponse(status: .ok, headers: ["X-Book": "Dune"], bytes: Array("hello".utf8))
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(url: "\(server.base)/books/1?key=secret"))

        #expect(response.status == 200)
        #expect(response.body == Array("hello".utf8))
        #expect(response.header("x-book") == "Dune")
        #expect(response.header("X-BOOK") == "Dune")
        #expect(response.header("content-length") == "5")
        #expect(response.url == "\(server.base)/books/1?key=secret")
        let received = try #require(await server.requests.first)
        #expect(received.method == "GET")
        #expect(received.path == "/books/1")
        #expect(received.header("User-Agent") == testUserAgent)
    }

    @Test("a request that cannot start by its leaveBy is not sent and fails late; one in time is sent")
    func leaveBy() async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        var lapsed = OutboundRequest(url: "\(server.base)/lapsed")
        lapsed.leaveBy = .now - .milliseconds(1)
        await #expect(throws: OutboundError.late) { try await client.send(lapsed) }
        var inTime = OutboundRequest(url: "\(server.base)/in-time")
        inTime.leaveBy = .now + .seconds(30)
        #expect(try await client.send(inTime).status == 200)
        #expect(await server.requests.map(\.path) == ["/in-time"], "the lapsed request reached the server")
    }

    @Test("a request with a notBefore is held by the transfer thread until then, in the order of the times; a held one cancelled never leaves")
    func notBefore() async throws {
        let arrivals = Arrivals()
        let server = try await LocalServer { request in
            await arrivals.record(String(request.path))
            return HTTPResponse(status: .ok)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let start = ContinuousClock.now
        let times: [(path: String, notBefore: ContinuousClock.Instant)] = [
            ("/third", start + .milliseconds(450)), ("/first", start + .milliseconds(150)), ("/second", start + .milliseconds(300)),
        ]
        let held = Task {
            var request = OutboundRequest(url: "\(server.base)/cancelled")
            request.notBefore = start + .seconds(30)
            return try await client.send(request)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (path, notBefore) in times {
                group.addTask {
                    var request = OutboundRequest(url: "\(server.base)\(path)")
                    request.notBefore = notBefore
                    let status = try await client.send(request).status
                    #expect(status == 200)
                }
            }
            try await group.waitForAll()
        }
        held.cancel()
        await #expect(throws: OutboundError.cancelled) { try await held.value }

        let received = await arrivals.all
        #expect(received.map(\.path) == ["/first", "/second", "/third"])
        for (path, notBefore) in times {
            let arrival = try #require(received.first { $0.path == path }?.time)
            #expect(arrival >= notBefore, "\(path) arrived \(notBefore - arrival) before its time")
        }
        #expect(ContinuousClock.now - start < .seconds(30), "the cancelled request was answered only at its time")
    }

    @Test("shutting down does not wait for a request held until a later time: it is answered unavailable and never sent")
    func heldAtShutdown() async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        // One accepted request at most: a probe refused for the limit shows the held one was taken in (the
        // probes go one after another, so only the held request can have the place then).
        let client = try makeClient { $0.queueLimit = 1 }
        let started = ContinuousClock.now
        let held = Task {
            var request = OutboundRequest(url: "\(server.base)/later")
            request.notBefore = started + .seconds(60)
            while true {
                do {
                    return try await client.send(request)
                } catch where "\(error)".contains("already in flight or waiting") {
                    continue  // a probe had the place: again
                }
            }
        }
        let clock = ContinuousClock()
        func probeRefused() async -> Bool {
            do {
                _ = try await client.send(OutboundRequest(url: "\(server.base)/probe"))
                return false
            } catch {
                return "\(error)".contains("already in flight or waiting")
            }
        }
        while await !probeRefused() {
            try #require(clock.now - started < .seconds(20), "the held request was never taken in")
        }
        client.shutdown()
        await #expect(throws: OutboundError.unavailable("held for a later time; the client is shutting down")) { try await held.value }
        #expect(ContinuousClock.now - started < .seconds(30), "shutdown waited for the held request's time")
        #expect(await server.requests.allSatisfy { $0.path == "/probe" }, "the held request was sent")
    }

    actor Arrivals {
        var all: [(path: String, time: ContinuousClock.Instant)] = []
        func record(_ path: String) { all.append((path, .now)) }
    }

    @Test("a request's own User-Agent replaces the configured one")
    func ownUserAgent() async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        _ = try await client.send(OutboundRequest(url: server.base, headers: [("user-agent", "Custom/2")]))

        #expect(try #require(await server.requests.first).header("User-Agent") == "Custom/2")
    }

    @Test("POST and PUT send their body and headers intact, and nothing libcurl would add on its own")
    func bodies() async throws {
        let server = try await LocalServer { request in
            HTTPResponse(status: .created, bytes: request.body)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        let json = Array(#"{"isbn":"9780441013593","title":"Dune"}"#.utf8)
        let binary = (0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // NULs included; past Expect's threshold

        let posted = try await client.send(OutboundRequest(
            method: "POST", url: "\(server.base)/entities",
            headers: [("Content-Type", "application/json"), ("X-Api-Key", "k-123"), ("X-Empty", "")], body: json))
        let put = try await client.send(OutboundRequest(method: "PUT", url: "\(server.base)/blob", body: binary))

        #expect(posted.status == 201)
        #expect(posted.body == json)
        #expect(put.status == 201)
        #expect(put.body == binary)
        let requests = await server.requests
        try #require(requests.count == 2)
        #expect(requests[0].method == "POST")
        #expect(requests[0].body == json)
        #expect(requests[0].header("content-type") == "application/json")
        #expect(requests[0].header("x-api-key") == "k-123")
        #expect(requests[0].header("x-empty") == "")
        #expect(requests[1].method == "PUT")
        #expect(requests[1].body == binary)
        #expect(requests[1].header("Content-Type") == nil)
        #expect(requests[1].header("Expect") == nil)
    }

    @Test("each method reaches the server as itself, with its body", arguments: [
        ("GET", nil), ("GET", "query"), ("POST", nil), ("POST", "form"), ("PUT", "blob"), ("PATCH", "diff"),
        ("DELETE", nil), ("OPTIONS", nil),
    ] as [(String, String?)])
    func methods(method: String, body: String?) async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(method: method, url: server.base, body: body.map { Array($0.utf8) }))

        #expect(response.status == 200)
        let received = try #require(await server.requests.first)
        #expect(received.method == method)
        #expect(received.body == Array((body ?? "").utf8))
        #expect(received.header("Content-Type") == nil)
    }

    @Test("HEAD returns the headers without a body")
    func head() async throws {
        let server = try await LocalServer { _ in HTTPResponse(status: .ok, bytes: [UInt8](repeating: 0, count: 1000)) }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(method: "HEAD", url: server.base))

        #expect(response.status == 200)
        #expect(response.header("Content-Length") == "1000")
        #expect(response.body.isEmpty)
        #expect(try #require(await server.requests.first).method == "HEAD")
    }

    @Test("a gzip-encoded body is decoded")
    func gzip() async throws {
        // gzip.compress(b"hello, gzip world\n" * 3, mtime=0)
        let compressed: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48,
            0xaf, 0xca, 0x2c, 0x50, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0xe1, 0xca, 0x20, 0x42, 0x04, 0x00, 0x44, 0x14, 0xe9,
            0x91, 0x36, 0x00, 0x00, 0x00,
        ]
        let server = try await LocalServer { _ in
            HTTPResponse(status: .ok, headers: ["Content-Encoding": "gzip"], bytes: compressed)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(url: server.base))

        #expect(String(decoding: response.body, as: UTF8.self) == String(repeating: "hello, gzip world\n", count: 3))
        #expect(try #require(await server.requests.first).header("Accept-Encoding")?.contains("gzip") == true)
    }

    // MARK: - Bounds: bytes, redirects, time

    @Test("a body past the byte cap is refused, with or without Content-Length", arguments: [true, false])
    func byteCap(knownLength: Bool) async throws {
        let size = 11 * 1024 * 1024
        let server = try await LocalServer { _ in
            knownLength ? HTTPResponse(status: .ok, bytes: [UInt8](repeating: 0, count: size))
                : HTTPResponse(status: .ok, body: StreamedBody(count: size).body)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        await #expect(throws: OutboundError.responseTooLarge(limit: 10 * 1024 * 1024)) {
            try await client.send(OutboundRequest(url: server.base))
        }
        if !knownLength {
            #expect(try #require(await server.requests.first).header("Accept-Encoding") != nil)
        }
    }

    @Test("a request's byte cap is exact: the cap passes, one byte more fails")
    func byteCapBoundary() async throws {
        let server = try await LocalServer { request in
            HTTPResponse(status: .ok, body: StreamedBody(count: request.path == "/big" ? 1001 : 1000).body)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(url: "\(server.base)/fits", maxResponseBytes: 1000))
        #expect(response.body.count == 1000)
        await #expect(throws: OutboundError.responseTooLarge(limit: 1000)) {
            try await client.send(OutboundRequest(url: "\(server.base)/big", maxResponseBytes: 1000))
        }
    }

    @Test("extreme per-request bounds are clamped, not trapped on")
    func extremeBounds() async throws {
        let server = try await LocalServer { _ in HTTPResponse(status: .ok, bytes: Array("ok".utf8)) }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(
            url: server.base, maxResponseBytes: .max, timeout: .seconds(Int64.max)))
        #expect(response.body == Array("ok".utf8))
        await #expect(throws: OutboundError.responseTooLarge(limit: 0)) {
            try await client.send(OutboundRequest(url: server.base, maxResponseBytes: 0))
        }
    }

    @Test("the byte cap counts decoded bytes: a small gzip body that inflates past it is refused")
    func gzipBomb() async throws {
        // gzip.compress(b"a" * 20000, mtime=0): 55 bytes on the wire, 20,000 decoded.
        let compressed: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1, 0x31, 0x01, 0x00, 0x00, 0x00, 0xc2,
            0xa0, 0xac, 0xeb, 0x5f, 0xc2, 0x1a, 0x1e, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x60, 0x31, 0x87, 0xbd, 0xca, 0x20, 0x4e, 0x00,
            0x00,
        ]
        let server = try await LocalServer { _ in
            HTTPResponse(status: .ok, headers: ["Content-Encoding": "gzip"], bytes: compressed)
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        await #expect(throws: OutboundError.responseTooLarge(limit: 10_000)) {
            try await client.send(OutboundRequest(url: server.base, maxResponseBytes: 10_000))
        }
        #expect(try await client.send(OutboundRequest(url: server.base, maxResponseBytes: 20_000)).body.count == 20_000)
    }

    @Test("redirects are followed, and only the final response's headers are kept")
    func redirect() async throws {
        let server = try await LocalServer { request in
            request.path == "/start"
                ? HTTPResponse(status: HTTPStatus(302, "Found"), headers: ["Location": "/end", "X-Hop": "first"])
                : HTTPResponse(status: .ok, bytes: Array("end".utf8))
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(url: "\(server.base)/start"))

        #expect(response.status == 200)
        #expect(response.body == Array("end".utf8))
        #expect(response.url == "\(server.base)/end")
        #expect(response.header("Location") == nil)
        #expect(response.header("X-Hop") == nil)
        #expect(response.header("Content-Length") == "3")
    }

    @Test("a redirect loop stops at the limit")
    func redirectLoop() async throws {
        let server = try await LocalServer { _ in HTTPResponse(status: HTTPStatus(302, "Found"), headers: ["Location": "/loop"]) }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        await #expect(throws: OutboundError.tooManyRedirects(limit: 5)) {
            try await client.send(OutboundRequest(url: "\(server.base)/loop"))
        }
        #expect(await server.requests.count == 6)
    }

    @Test("with followRedirects false the redirect itself is the response")
    func redirectNotFollowed() async throws {
        let server = try await LocalServer { _ in
            HTTPResponse(status: HTTPStatus(301, "Moved Permanently"), headers: ["Location": "/elsewhere"])
        }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let response = try await client.send(OutboundRequest(url: "\(server.base)/here", followRedirects: false))

        #expect(response.status == 301)
        #expect(response.header("location") == "/elsewhere")
        #expect(response.url == "\(server.base)/here")
        #expect(await server.requests.count == 1)
    }

    /// A server that takes 5 s to answer anything.
    static func slowServer() async throws -> LocalServer {
        try await LocalServer { _ in
            try await Task.sleep(for: .seconds(5))
            return HTTPResponse(status: .ok)
        }
    }

    @Test("a slow response times out at the request's timeout")
    func timeout() async throws {
        let server = try await Self.slowServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        let started = ContinuousClock.now

        await #expect(throws: OutboundError.timeout) {
            try await client.send(OutboundRequest(url: server.base, timeout: .milliseconds(300)))
        }

        let elapsed = ContinuousClock.now - started
        // curl measures from its own start, a little after ours: allow its timer's granularity.
        #expect(elapsed >= .milliseconds(250), "gave up after \(elapsed), before the timeout")
        #expect(elapsed < .seconds(3), "took \(elapsed), far past the 300 ms timeout")
    }

    @Test("cancelling the calling task stops the transfer")
    func cancellation() async throws {
        let server = try await Self.slowServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        let started = ContinuousClock.now

        let task = Task { try await client.send(OutboundRequest(url: server.base)) }
        try await server.waitForRequests(1)
        task.cancel()

        let error = await #expect(throws: OutboundError.self) { try await task.value }
        #expect(error == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    // MARK: - Failures

    @Test("nothing listening is a connection error")
    func connectionRefused() async throws {
        let port = try LocalServer.unusedPort()
        let client = try makeClient()
        defer { client.shutdown() }

        let error = await #expect(throws: OutboundError.self) {
            try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/"))
        }

        guard case .connection(let detail) = error else {
            Issue.record("expected .connection, got \(String(describing: error))")
            return
        }
        #expect(!detail.isEmpty)
    }

    @Test("after shutdown, requests are refused as unavailable")
    func afterShutdown() async throws {
        let client = try makeClient()
        client.shutdown()

        let error = await #expect(throws: OutboundError.self) {
            try await client.send(OutboundRequest(url: "http://127.0.0.1:9/"))
        }

        guard case .unavailable = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
    }

    // MARK: - Configuration

    @Test("the defaults are valid; an invalid configuration names each bad field")
    func configuration() {
        let defaults = HTTPClient.Configuration(userAgent: testUserAgent)
        #expect(defaults.problems.isEmpty)
        #expect(defaults.connectTimeout == .seconds(5) && defaults.timeout == .seconds(30))
        #expect(defaults.maxResponseBytes == 10 * 1024 * 1024 && defaults.maxRedirects == 5)
        #expect(defaults.maxHostConnections == 4 && defaults.maxConnections == 16 && defaults.queueLimit == 10_000)

        let invalid = HTTPClient.Configuration(
            userAgent: "a\r\nb", connectTimeout: .zero, timeout: .milliseconds(-1), maxResponseBytes: 0,
            maxRedirects: -1, maxHostConnections: 0, maxConnections: -1, queueLimit: 0)
        #expect(invalid.problems.map { $0.prefix { $0 != " " } } == [
            "userAgent", "connectTimeout", "timeout", "maxResponseBytes", "maxRedirects", "maxHostConnections",
            "maxConnections", "queueLimit",
        ])
        #expect(HTTPClient.Configuration(userAgent: testUserAgent, maxHostConnections: 8, maxConnections: 4).problems
            == ["maxConnections must be at least maxHostConnections"])
    }

    // MARK: - Threads

    @Test("parallel requests run on the client's thread while the cooperative pool stays free")
    func parallel() async throws {
        let inFlight = Mutex((now: 0, peak: 0))
        let server = try await LocalServer { _ in
            inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            defer { inFlight.withLock { $0.now -= 1 } }
            try await Task.sleep(for: .milliseconds(500))
            return HTTPResponse(status: .ok, bytes: Array("ok".utf8))
        }
        defer { server.stop() }
        let client = try makeClient { $0.maxHostConnections = 8 }
        defer { client.shutdown() }

        async let statuses = withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<32 {
                group.addTask { try await client.send(OutboundRequest(url: "\(server.base)/\(index)")).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Once 8 transfers are under way and 24 more wait for a connection, async work must still run
        // promptly, which it could not if libcurl's calls occupied the cooperative pool.
        try await server.waitForRequests(8)
        for _ in 0..<5 {
            let started = ContinuousClock.now
            await Task { }.value
            #expect(ContinuousClock.now - started < .milliseconds(250))
        }

        #expect(try await statuses == Array(repeating: 200, count: 32))
        #expect(await server.requests.count == 32)
        #expect(inFlight.withLock { $0.peak } == 8)
        #expect(await server.connections.count == 8)
    }
}
