import Foundation

/// A plain TCP connection for tests that need control HTTP clients do not give (holding a connection
/// open, sending nothing). Its blocking socket calls run on a thread of its own, never the cooperative pool,
/// which the server under test shares.
final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` is set once in init; the socket calls themselves are thread-safe.
    private let descriptor: Int32

    init(port: Int) async throws {
        descriptor = try await Self.onThread {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestFailure("socket() failed") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            guard connected else { Glibc.close(descriptor); throw TestFailure("connect() failed: \(errno)") }
            return descriptor
        }
    }

    func send(_ text: String) async throws {
        let descriptor = self.descriptor
        try await Self.onThread {
            let bytes = Array(text.utf8)
            guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw TestFailure("send() failed") }
        }
    }

    enum ReadResult: Equatable {
        case data(String)
        case closed
        case nothingWithin
    }

    /// Waits up to `timeout` for bytes or for the peer to close.
    func read(timeout: Duration) async throws -> ReadResult {
        let descriptor = self.descriptor
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await Self.onThread {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            guard ready > 0 else { return .nothingWithin }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return .closed }
            return .data(String(decoding: buffer[..<count], as: UTF8.self))
        }
    }

    func close() {
        Glibc.close(descriptor)
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
