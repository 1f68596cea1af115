import Foundation
import HTTPCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What a local server received, for tests to assert on.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Which TCP connection of the server it came on (HTTPCore numbers them from 1 as it accepts them).
    var connection: Int

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An HTTPCore server on one loopback address and a port the kernel picked, recording every request and
/// the connection it came on. Stop it with `stop()` (cancelling its task closes every connection at once).
/// A handler that throws is answered 500 with no body; one that takes longer than 15 s is refused.
final class LocalServer: Sendable {
    typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    let host: String
    let port: UInt16
    private let task: Task<Void, any Error>
    private let recorder: Recorder

    private actor Recorder {
        var requests: [ReceivedRequest] = []
        func record(_ request: ReceivedRequest) { requests.append(request) }
    }

    /// `host` is an IPv4 or IPv6 literal ("127.0.0.1", "127.0.0.2", "::1"); the server closes a kept-alive
    /// connection that stays idle for `idleTimeout`.
    init(host: String = "127.0.0.1", idleTimeout: Duration = .seconds(30),
         handler: @escaping Handler = { _ in HTTPResponse(status: .ok) }) async throws {
        let recorder = Recorder()
        let server = Self.makeServer(host: host, idleTimeout: idleTimeout) { request, connection in
            await recorder.record(ReceivedRequest(
                method: request.method.rawValue, path: String(request.path), headers: request.headers.fields, body: request.body,
                connection: connection))
            return try await handler(request)
        }
        let task = Task { try await server.run() }
        let port: Int
        do {
            port = try await server.waitUntilListening()
        } catch {
            task.cancel()
            throw error
        }
        self.host = host
        self.port = UInt16(port)
        self.task = task
        self.recorder = recorder
    }

    /// "http://host:port" with IPv6 hosts bracketed.
    var base: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    var requests: [ReceivedRequest] {
        get async { await recorder.requests }
    }

    /// The TCP connections the received requests came on.
    var connections: Set<Int> {
        get async { Set(await recorder.requests.map(\.connection)) }
    }

    /// Connections accepted up to the last one a request came on, used or not: HTTPCore numbers them
    /// in the order it accepts them.
    var acceptedConnections: Int {
        get async { await recorder.requests.map(\.connection).max() ?? 0 }
    }

    func stop() {
        task.cancel()
    }

    /// Waits until the server has received `count` requests, failing after `timeout`.
    func waitForRequests(_ count: Int, timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while await requests.count < count {
            guard ContinuousClock.now < deadline else { throw POSIXError(.ETIMEDOUT) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func makeServer(
        host: String, idleTimeout: Duration, handler: @escaping @Sendable (HTTPRequest, _ connection: Int) async throws -> HTTPResponse
    ) -> HTTPServer {
        let configuration = HTTPServerConfiguration(
            host: host, port: 0, limits: HTTPLimits(maxBodyBytes: 1 << 30), idleTimeout: idleTimeout, requestTimeout: .seconds(15),
            accessLog: false
        )
        return HTTPServer(configuration: configuration, responder: ClosureResponder(handler: handler),
                          logger: Logger(label: "local-server") { _ in SwiftLogNoOpLogHandler() })
    }

    private struct ClosureResponder: HTTPResponder {
        let handler: @Sendable (HTTPRequest, _ connection: Int) async throws -> HTTPResponse

        func respond(to request: HTTPRequest, context: HTTPRequestContext) async -> HTTPResponse {
            do {
                return try await handler(request, context.connection)
            } catch {
                return HTTPResponse(status: .internalServerError)
            }
        }
    }

    /// A loopback port with nothing listening (bound by the kernel, then released).
    static func unusedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A body of `count` bytes of "x" written 4 KiB at a time, with no Content-Length: sent chunked.
struct StreamedBody: Sendable {
    let count: Int

    var body: HTTPResponse.Body {
        .stream(length: nil) { [count] writer in
            var remaining = count
            while remaining > 0 {
                let size = min(remaining, 4096)
                try await writer.write([UInt8](repeating: UInt8(ascii: "x"), count: size))
                remaining -= size
            }
        }
    }
}
