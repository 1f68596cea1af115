import FlyingFox
import FlyingSocks
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a local server received, for tests to assert on.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A FlyingFox server on one loopback address and a port the kernel picked, recording every request.
/// Stop it with `stop()` (cancelling its task: `HTTPServer.stop(timeout:)` would wait out the timeout).
final class LocalServer: Sendable {
    let host: String
    let port: UInt16
    private let task: Task<Void, any Error>
    private let recorder: Recorder

    private actor Recorder {
        var requests: [ReceivedRequest] = []
        func record(_ request: ReceivedRequest) { requests.append(request) }
    }

    /// `host` is an IPv4 or IPv6 literal ("127.0.0.1", "127.0.0.2", "::1").
    init(host: String = "127.0.0.1",
         handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse = { _ in HTTPResponse(statusCode: .ok) }
    ) async throws {
        let recorder = Recorder()
        let server = try Self.makeServer(host: host) { request in
            var request = request
            let body = try await request.bodyData
            request.setBodyData(body)
            await recorder.record(ReceivedRequest(
                method: request.method.rawValue, path: request.path,
                headers: request.headers.map { ($0.key.rawValue, $0.value) }, body: Array(body)))
            return try await handler(request)
        }
        let task = Task { try await server.run() }
        do {
            try await server.waitUntilListening()
        } catch {
            task.cancel()
            throw error
        }
        let port: UInt16? = switch await server.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): port
        default: nil
        }
        guard let port else {
            task.cancel()
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.host = host
        self.port = port
        self.task = task
        self.recorder = recorder
    }

    /// "http://host:port" with IPv6 hosts bracketed.
    var base: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    var requests: [ReceivedRequest] {
        get async { await recorder.requests }
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
        host: String, handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse
    ) throws -> HTTPServer {
        let handler = ClosureHTTPHandler(handler)
        return if host.contains(":") {
            HTTPServer(address: try .inet6(ip6: host, port: 0), logger: .disabled, handler: handler)
        } else {
            HTTPServer(address: try .inet(ip4: host, port: 0), logger: .disabled, handler: handler)
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

/// A body of `count` bytes of "x" sent in chunks, with no Content-Length (FlyingFox then uses chunked encoding).
struct StreamedBody: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let count: Int

    func makeAsyncIterator() -> Iterator { Iterator(remaining: count) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var remaining: Int

        mutating func next() async throws -> UInt8? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return UInt8(ascii: "x")
        }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            guard remaining > 0 else { return nil }
            let size = Swift.min(remaining, Swift.max(count, 1))
            remaining -= size
            return [UInt8](repeating: UInt8(ascii: "x"), count: size)
        }
    }
}
