import Foundation
import HTTPCore
@testable import Outbound
import Testing

/// What the client refuses to do: dial internal addresses, leave http(s), send malformed requests, log secrets.
@Suite("HTTP client guards, against local servers")
struct HTTPClientGuardTests {
    // MARK: - Server-side request forgery guard

    @Test("with an empty allow-list, internal addresses are refused before anything is sent", arguments: [
        "http://127.0.0.1:{a}/", "http://127.0.0.2:{b}/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data",
        "http://[::1]:{c}/", "http://localhost:{a}/", "http://[::ffff:127.0.0.1]:{a}/", "http://2130706433:{a}/",
        "http://0x7f.1:{a}/", "http://0.0.0.0:{a}/",
    ])
    func refusedAddresses(_ template: String) async throws {
        let a = try await LocalServer(host: "127.0.0.1")
        let b = try await LocalServer(host: "127.0.0.2")
        let c = try await LocalServer(host: "::1")
        defer { [a, b, c].forEach { $0.stop() } }
        let client = try makeClient(allowing: [])
        defer { client.shutdown() }
        let url = template.replacingOccurrences(of: "{a}", with: "\(a.port)")
            .replacingOccurrences(of: "{b}", with: "\(b.port)").replacingOccurrences(of: "{c}", with: "\(c.port)")

        let error = await #expect(throws: OutboundError.self) { try await client.send(OutboundRequest(url: url)) }

        guard case .blockedAddress(let detail) = error else {
            Issue.record("expected .blockedAddress, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("which Enricher does not connect to"))
        for server in [a, b, c] {
            #expect(await server.requests.isEmpty, "\(server.host) received a request")
        }
    }

    @Test("an allow-listed address is dialled")
    func allowListed() async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        let client = try makeClient(allowing: ["127.0.0.1/32"])
        defer { client.shutdown() }

        #expect(try await client.send(OutboundRequest(url: server.base)).status == 200)
        #expect(await server.requests.count == 1)
    }

    @Test("a redirect to a refused address is refused at the hop, and its server sees nothing")
    func redirectToRefusedAddress() async throws {
        let target = try await LocalServer(host: "127.0.0.2")
        defer { target.stop() }
        let origin = try await LocalServer { _ in
            HTTPResponse(status: HTTPStatus(302, "Found"), headers: ["Location": "\(target.base)/internal"])
        }
        defer { origin.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let error = await #expect(throws: OutboundError.self) {
            try await client.send(OutboundRequest(url: "\(origin.base)/start"))
        }

        guard case .blockedAddress(let detail) = error else {
            Issue.record("expected .blockedAddress, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("127.0.0.2"))
        #expect(await origin.requests.count == 1)
        #expect(await target.requests.isEmpty)
    }

    // MARK: - Schemes

    @Test("only http and https URLs are fetched", arguments: [
        "file:///etc/passwd", "ftp://127.0.0.1/pub", "gopher://127.0.0.1:70/1", "dict://127.0.0.1:2628/d:word",
        "127.0.0.1/no-scheme", "http://", "not a url",
    ])
    func schemes(_ url: String) async throws {
        let client = try makeClient()
        defer { client.shutdown() }

        let error = await #expect(throws: OutboundError.self) { try await client.send(OutboundRequest(url: url)) }

        guard case .invalidURL = error else {
            Issue.record("expected .invalidURL, got \(String(describing: error))")
            return
        }
    }

    @Test("a redirect to file:// fails without reading the file")
    func redirectToFile() async throws {
        let server = try await LocalServer { _ in HTTPResponse(status: HTTPStatus(302, "Found"), headers: ["Location": "file:///etc/passwd"]) }
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }

        let error = await #expect(throws: OutboundError.self) { try await client.send(OutboundRequest(url: server.base)) }

        guard case .invalidURL = error else {
            Issue.record("expected .invalidURL, got \(String(describing: error))")
            return
        }
    }

    // MARK: - Requests

    @Test("a malformed method or header is not sent", arguments: [
        OutboundRequest(method: "GET /admin HTTP/1.1\r\nX:", url: "http://127.0.0.1:{a}/"),
        OutboundRequest(url: "http://127.0.0.1:{a}/", headers: [("X-Note", "a\r\nX-Injected: 1")]),
        OutboundRequest(url: "http://127.0.0.1:{a}/", headers: [("Bad Name", "v")]),
        OutboundRequest(url: "http://127.0.0.1:{a}/", headers: [("", "v")]),
    ])
    func malformedRequest(_ template: OutboundRequest) async throws {
        let server = try await LocalServer()
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        var request = template
        request.url = request.url.replacingOccurrences(of: "{a}", with: "\(server.port)")

        let error = await #expect(throws: OutboundError.self) { try await client.send(request) }

        guard case .invalidRequest = error else {
            Issue.record("expected .invalidRequest, got \(String(describing: error))")
            return
        }
        #expect(await server.requests.isEmpty)
    }


    // MARK: - Logging

    @Test("the logged URL has no query string or user info", arguments: [
        ("https://user:pw@api.example.com:8443/v1/books?key=SECRET#top", "https://api.example.com:8443/v1/books"),
        ("http://covers.example.org/b/isbn/9780441013593-L.jpg?default=false", "http://covers.example.org/b/isbn/9780441013593-L.jpg"),
        ("HTTP://Example.COM", "http://Example.COM/"),
    ])
    func loggableURL(url: String, logged: String) throws {
        let configuration = HTTPClient.Configuration(userAgent: testUserAgent)
        let plan = try CurlTransfer.Plan(request: OutboundRequest(url: url), configuration: configuration)
        #expect(plan.loggableURL == logged)
    }
}
