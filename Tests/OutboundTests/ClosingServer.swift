import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A bare HTTP/1.1 server on 127.0.0.1 that answers every request `200` with its path as the body and
/// `Connection: close`, then closes the connection, as some servers do. HTTPCore keeps every connection
/// it can alive, so this one is raw sockets: one connection at a time, on a thread of its own, counting
/// the connections it accepts. Stop it with `stop()`.
final class ClosingServer: Sendable {
    let port: UInt16
    private let listener: Int32
    private let counts = Mutex((connections: 0, requests: 0))

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 128) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.listener = listener
        self.port = UInt16(bigEndian: address.sin_port)
        Thread { self.serve() }.start()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far.
    var connections: Int { counts.withLock { $0.connections } }

    /// Requests answered so far.
    var requests: Int { counts.withLock { $0.requests } }

    /// Stops accepting: the blocked `accept` fails, and the thread closes the socket and ends.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break
            }
            counts.withLock { $0.connections += 1 }
            answer(connection)
            close(connection)
        }
        close(listener)
    }

    /// Reads one request head (a GET: no body) and answers it with its path.
    private func answer(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !head.ends(with: Array("\r\n\r\n".utf8)) && head.count < 65536 {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            head.append(contentsOf: chunk[..<count])
        }
        let requestLine = String(decoding: head.prefix { $0 != 0x0D }, as: UTF8.self).split(separator: " ")
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: \(path.utf8.count)\r\nConnection: close\r\n\r\n\(path)".utf8)
        var sent = 0
        while sent < response.count {
            let count = response[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
        counts.withLock { $0.requests += 1 }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
