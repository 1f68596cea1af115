import Foundation
import HTTPCore
import Outbound
import Synchronization
import Testing

/// Connections are kept and reused, at most `maxHostConnections` to one host, and reuse weakens none of
/// the client's guarantees. The servers count the TCP connections they accept.
@Suite("HTTP client connection reuse, against local servers")
struct HTTPClientConnectionTests {
    /// Requests a server is handling right now, and the most it handled at once.
    final class InFlight: Sendable {
        private let counts = Mutex((now: 0, peak: 0))
        func enter() { counts.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
        func leave() { counts.withLock { $0.now -= 1 } }
        var peak: Int { counts.withLock { $0.peak } }
    }

    /// A server that answers each request with its own path after `delay`: a response read off the wrong
    /// connection would show.
    static func echoServer(host: String = "127.0.0.1", delay: Duration = .zero, inFlight: InFlight = InFlight(),
                           idleTimeout: Duration = .seconds(30)) async throws -> LocalServer {
        try await LocalServer(host: host, idleTimeout: idleTimeout) { request in
            inFlight.enter()
            defer { inFlight.leave() }
            if delay > .zero { try await Task.sleep(for: delay) }
            return HTTPResponse(status: .ok, bytes: Array(request.path.utf8))
        }
    }

    /// Sends `count` GETs to `base`/`prefix`N at once; returns each response's body by N.
    static func concurrently(_ count: Int, client: HTTPClient, base: String, prefix: String = "c") async throws -> [Int: String] {
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<count {
                group.addTask {
                    let response = try await client.send(OutboundRequest(url: "\(base)/\(prefix)\(index)"))
                    #expect(response.status == 200)
                    return (index, String(decoding: response.body, as: UTF8.self))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    // MARK: - Reuse, bounded per host

    @Test("100 sequential calls to one host use one connection")
    func sequential() async throws {
        let server = try await Self.echoServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        for index in 0..<100 {
            let response = try await client.send(OutboundRequest(url: "\(server.base)/s\(index)"))
            #expect(response.status == 200 && response.body == Array("/s\(index)".utf8))
        }

        #expect(await server.requests.count == 100)
        #expect(await server.acceptedConnections == 1)
    }

    @Test("100 concurrent calls to one host all succeed over at most maxHostConnections connections", arguments: [4, 1])
    func concurrent(maxHostConnections: Int) async throws {
        let inFlight = InFlight()
        let server = try await Self.echoServer(delay: .milliseconds(10), inFlight: inFlight)
        defer { server.stop() }
        let client = try makeClient { $0.maxHostConnections = maxHostConnections }
        defer { client.shutdown() }

        let bodies = try await Self.concurrently(100, client: client, base: server.base)

        #expect(bodies == Dictionary(uniqueKeysWithValues: (0..<100).map { ($0, "/c\($0)") }))
        #expect(await server.requests.count == 100)
        let accepted = await server.acceptedConnections
        #expect(accepted <= maxHostConnections, "\(accepted) connections for a limit of \(maxHostConnections)")
        // The limit is used, not merely respected: the queued calls went over the open connections.
        #expect(inFlight.peak == maxHostConnections)
    }

    @Test("the default configuration allows 4 connections to a host")
    func defaultLimit() async throws {
        let inFlight = InFlight()
        let server = try await Self.echoServer(delay: .milliseconds(10), inFlight: inFlight)
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        #expect(client.configuration.maxHostConnections == 4)

        _ = try await Self.concurrently(100, client: client, base: server.base)

        #expect(await server.acceptedConnections <= 4)
        #expect(inFlight.peak == 4)
    }

    @Test("two hosts (127.0.0.1 and ::1) each get their own connections, up to the limit each")
    func twoHosts() async throws {
        let (v4Load, v6Load) = (InFlight(), InFlight())
        let v4 = try await Self.echoServer(delay: .milliseconds(200), inFlight: v4Load)
        defer { v4.stop() }
        let v6 = try await Self.echoServer(host: "::1", delay: .milliseconds(200), inFlight: v6Load)
        defer { v6.stop() }
        let client = try makeClient(allowing: ["127.0.0.1", "::1"])
        defer { client.shutdown() }

        async let v4Bodies = Self.concurrently(12, client: client, base: v4.base, prefix: "four")
        async let v6Bodies = Self.concurrently(12, client: client, base: v6.base, prefix: "six")

        #expect(try await v4Bodies == Dictionary(uniqueKeysWithValues: (0..<12).map { ($0, "/four\($0)") }))
        #expect(try await v6Bodies == Dictionary(uniqueKeysWithValues: (0..<12).map { ($0, "/six\($0)") }))
        for (server, load) in [(v4, v4Load), (v6, v6Load)] {
            let accepted = await server.acceptedConnections
            #expect(accepted <= 4, "\(server.host) accepted \(accepted) connections")
            // Each host had its 4 at once: one host's connections do not count against the other's.
            #expect(load.peak == 4, "\(server.host) handled at most \(load.peak) requests at once")
        }
    }

    // MARK: - Servers that close connections

    @Test("a server that answers Connection: close is served on every call, each on a new connection")
    func connectionClose() async throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        for index in 0..<20 {
            let response = try await client.send(OutboundRequest(url: "\(server.base)/s\(index)"))
            #expect(response.status == 200 && response.body == Array("/s\(index)".utf8))
        }
        let bodies = try await Self.concurrently(40, client: client, base: server.base)

        #expect(bodies == Dictionary(uniqueKeysWithValues: (0..<40).map { ($0, "/c\($0)") }))
        #expect(server.requests == 60)
        #expect(server.connections == 60)
    }

    @Test("a kept connection the server closed while idle is replaced, not failed on")
    func closedWhileIdle() async throws {
        let server = try await Self.echoServer(idleTimeout: .milliseconds(200))
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        for index in 0..<4 {
            let response = try await client.send(OutboundRequest(url: "\(server.base)/i\(index)"))
            #expect(response.status == 200 && response.body == Array("/i\(index)".utf8))
            // Past the server's idle timeout (checked every 100 ms): it has closed the connection.
            try await Task.sleep(for: .milliseconds(500))
        }

        #expect(await server.acceptedConnections == 4)
    }

    // MARK: - Aborted transfers

    enum Abort: String, CaseIterable, Sendable {
        case cancelled, timeout, byteCap
    }

    @Test("a cancelled, timed-out or cut-off transfer closes its connection: the next call is answered right",
          arguments: Abort.allCases)
    func abortedTransfer(_ abort: Abort) async throws {
        let server = try await LocalServer { request in
            switch request.path {
            case "/slow":
                try await Task.sleep(for: .seconds(2))
                return HTTPResponse(status: .ok, bytes: Array("late answer".utf8))
            case "/big":
                return HTTPResponse(status: .ok, body: StreamedBody(count: 1 << 20).body)
            default:
                return HTTPResponse(status: .ok, bytes: Array(request.path.utf8))
            }
        }
        defer { server.stop() }
        // One connection to the host: every call would go over the same one if it were kept.
        let client = try makeClient { $0.maxHostConnections = 1 }
        defer { client.shutdown() }
        #expect(try await client.send(OutboundRequest(url: "\(server.base)/before")).body == Array("/before".utf8))

        switch abort {
        case .cancelled:
            let task = Task { try await client.send(OutboundRequest(url: "\(server.base)/slow")) }
            try await server.waitForRequests(2)
            task.cancel()
            await #expect(throws: OutboundError.cancelled) { try await task.value }
        case .timeout:
            await #expect(throws: OutboundError.timeout) {
                try await client.send(OutboundRequest(url: "\(server.base)/slow", timeout: .milliseconds(300)))
            }
        case .byteCap:
            await #expect(throws: OutboundError.responseTooLarge(limit: 1000)) {
                try await client.send(OutboundRequest(url: "\(server.base)/big", maxResponseBytes: 1000))
            }
        }
        let after = try await client.send(OutboundRequest(url: "\(server.base)/after"))

        #expect(after.status == 200)
        #expect(after.body == Array("/after".utf8))
        let requests = await server.requests
        try #require(requests.map(\.path) == ["/before", abort == .byteCap ? "/big" : "/slow", "/after"])
        #expect(requests[1].connection == requests[0].connection, "the kept connection was reused")
        #expect(requests[2].connection != requests[1].connection, "the aborted transfer's connection was reused")
    }

    // MARK: - Waiting for a connection

    @Test("a call waiting for a connection still ends at its timeout")
    func queuedTimeout() async throws {
        let server = try await HTTPClientTests.slowServer()
        defer { server.stop() }
        let client = try makeClient { $0.maxHostConnections = 1 }
        defer { client.shutdown() }
        let holder = Task { try await client.send(OutboundRequest(url: "\(server.base)/holder", timeout: .seconds(1))) }
        try await server.waitForRequests(1)
        let started = ContinuousClock.now

        await #expect(throws: OutboundError.timeout) {
            try await client.send(OutboundRequest(url: "\(server.base)/queued", timeout: .milliseconds(300)))
        }

        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(250) && elapsed < .milliseconds(900), "gave up after \(elapsed)")
        await #expect(throws: OutboundError.timeout) { try await holder.value }
        #expect(await server.requests.map(\.path) == ["/holder"])
    }

    @Test("a call waiting for a connection can be cancelled, and is never sent")
    func queuedCancellation() async throws {
        let server = try await LocalServer { request in
            if request.path == "/holder" { try await Task.sleep(for: .milliseconds(700)) }
            return HTTPResponse(status: .ok, bytes: Array(request.path.utf8))
        }
        defer { server.stop() }
        let client = try makeClient { $0.maxHostConnections = 1 }
        defer { client.shutdown() }
        let holder = Task { try await client.send(OutboundRequest(url: "\(server.base)/holder")) }
        try await server.waitForRequests(1)
        let started = ContinuousClock.now

        let queued = Task { try await client.send(OutboundRequest(url: "\(server.base)/queued")) }
        try await Task.sleep(for: .milliseconds(100))
        queued.cancel()

        await #expect(throws: OutboundError.cancelled) { try await queued.value }
        #expect(ContinuousClock.now - started < .milliseconds(500))
        #expect(try await holder.value.body == Array("/holder".utf8))
        #expect(try await client.send(OutboundRequest(url: "\(server.base)/next")).body == Array("/next".utf8))
        #expect(await server.requests.map(\.path) == ["/holder", "/next"])
        #expect(await server.acceptedConnections == 1)
    }

    @Test("past queueLimit calls in flight or waiting, a call is refused as unavailable")
    func queueLimit() async throws {
        let server = try await Self.echoServer(delay: .milliseconds(500))
        defer { server.stop() }
        let client = try makeClient {
            $0.maxHostConnections = 1
            $0.queueLimit = 2
        }
        defer { client.shutdown() }
        let first = Task { try await client.send(OutboundRequest(url: "\(server.base)/first")) }
        let second = Task { try await client.send(OutboundRequest(url: "\(server.base)/second")) }
        try await server.waitForRequests(1)

        let error = await #expect(throws: OutboundError.self) {
            try await client.send(OutboundRequest(url: "\(server.base)/third"))
        }

        guard case .unavailable(let detail) = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("2 requests"))
        #expect(try await first.value.status == 200)
        #expect(try await second.value.status == 200)
        #expect(try await client.send(OutboundRequest(url: "\(server.base)/fourth")).status == 200)
    }

    // MARK: - Guards on a warm client

    @Test("with a connection open to an allowed host, a redirect to a refused address is still refused")
    func guardOnWarmClient() async throws {
        let target = try await LocalServer(host: "127.0.0.2")
        defer { target.stop() }
        let origin = try await LocalServer { request in
            request.path == "/away"
                ? HTTPResponse(status: HTTPStatus(302, "Found"), headers: ["Location": "\(target.base)/internal"])
                : HTTPResponse(status: .ok)
        }
        defer { origin.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        for _ in 0..<3 { #expect(try await client.send(OutboundRequest(url: "\(origin.base)/warm")).status == 200) }

        let error = await #expect(throws: OutboundError.self) {
            try await client.send(OutboundRequest(url: "\(origin.base)/away"))
        }

        guard case .blockedAddress(let detail) = error else {
            Issue.record("expected .blockedAddress, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("127.0.0.2"))
        #expect(await target.requests.isEmpty)
        #expect(await origin.acceptedConnections == 1)
    }
}
