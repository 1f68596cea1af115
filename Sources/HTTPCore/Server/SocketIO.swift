import CEpoll
import Foundation

/// The few BSD socket calls the server makes, on non-blocking descriptors.
enum SocketIO {
    /// A listening, non-blocking TCP socket bound to `host` (an IPv4 or IPv6 literal) and `port`
    /// (0: the kernel picks), and the port it got.
    static func listen(host: String, port: Int, backlog: Int32) throws -> (descriptor: Int32, port: Int) {
        let isIPv6 = host.contains(":")
        let descriptor = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketFailure("socket", errno) }
        do {
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound: Int32
            if isIPv6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = UInt16(port).bigEndian
                guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw AddressError(host: host) }
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw AddressError(host: host) }
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            guard bound == 0 else { throw SocketFailure("bind to \(host):\(port)", errno) }
            guard Glibc.listen(descriptor, backlog) == 0 else { throw SocketFailure("listen", errno) }
            return (descriptor, try localPort(descriptor))
        } catch {
            close(descriptor)
            throw error
        }
    }

    private static func localPort(_ descriptor: Int32) throws -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard found == 0 else { throw SocketFailure("getsockname", errno) }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    enum Accepted {
        case connection(Int32)
        case wouldBlock
        /// Out of descriptors or memory for now: wait a moment rather than spin.
        case exhausted
    }

    static func accept(_ listener: Int32) throws -> Accepted {
        while true {
            let descriptor = cepoll_accept(listener)
            if descriptor >= 0 {
                // Head and body go out in one write, and the next response must not wait for the client's
                // delayed ACK (Nagle; see STACK.md).
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .connection(descriptor)
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted
            default: throw SocketFailure("accept", errno)
            }
        }
    }

    enum Received {
        case bytes(Int)
        case wouldBlock
        case closed
    }

    static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Received {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    enum Sent {
        case bytes(Int)
        case wouldBlock
        case closed
    }

    static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Sent {
        while true {
            let count = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .bytes(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }
}

/// ENRICHER_HOST (or the server's host) is not an IP literal.
struct AddressError: Error, CustomStringConvertible {
    let host: String
    var description: String { "'\(host)' is not an IP address to listen on" }
}
