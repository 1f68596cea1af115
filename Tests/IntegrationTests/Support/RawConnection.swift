import Foundation
import Synchronization

/// A plain TCP connection for tests that need control HTTP clients do not give (holding a connection
/// open, sending nothing). Its blocking socket calls run on a thread of its own, never the cooperative pool,
/// which the server under test shares.
final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` is set once in init; the socket calls themselves are thread-safe.
    private let descriptor: Int32
    /// `close()` may be called more than once (a `defer` and an explicit hang-up): the descriptor is
    /// closed once, never a number the process has since reused for another socket.
    private let isClosed = Atomic<Bool>(false)

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
        switch try await receive(timeout: timeout) {
        case .bytes(let bytes): .data(String(decoding: bytes, as: UTF8.self))
        case .closed: .closed
        case .nothingWithin: .nothingWithin
        }
    }

    func close() {
        guard !isClosed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        Glibc.close(descriptor)
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}

// MARK: Bytes, for tests of the HTTP front door

extension RawConnection {
    /// Sends every byte (looping over short writes), or throws.
    func send(bytes: [UInt8]) async throws {
        let sent = await sendAllowingHangUp(bytes)
        guard sent == bytes.count else { throw TestFailure("send() stopped after \(sent) of \(bytes.count) bytes") }
    }

    /// Sends as much of `bytes` as the peer takes; returns how many went before it closed or reset the
    /// connection. For requests a server may refuse (and hang up on) part-way.
    func sendAllowingHangUp(_ bytes: [UInt8]) async -> Int {
        let descriptor = self.descriptor
        return (try? await Self.onThread {
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
                if count > 0 {
                    offset += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            return offset
        }) ?? 0
    }

    /// Sends FIN: the peer reads end-of-stream, while this side can still read its answer.
    func shutdownWrite() {
        guard !isClosed.load(ordering: .sequentiallyConsistent) else { return }
        shutdown(descriptor, Int32(SHUT_WR))
    }

    enum Received: Equatable {
        case bytes([UInt8])
        /// End of stream, or a reset.
        case closed
        case nothingWithin
    }

    /// Waits up to `timeout` for bytes or for the peer to close; the bytes exactly as received.
    func receive(timeout: Duration) async throws -> Received {
        let descriptor = self.descriptor
        let milliseconds = max(0, Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        return try await Self.onThread {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            guard ready > 0 else { return .nothingWithin }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return .closed }
            return .bytes(Array(buffer[..<count]))
        }
    }
}

/// One HTTP/1.1 response exactly as it came off the wire: status line, fields in order, body bytes.
struct WireResponse: CustomStringConvertible, Sendable {
    let statusLine: String
    let headers: [HTTPField]
    let body: [UInt8]

    struct HTTPField: Sendable {
        let name: String
        let value: String
    }

    /// The status code from the status line (0 when it has none).
    var status: Int { Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0 }

    /// The first value of `name`, compared without regard to case.
    func header(_ name: String) -> String? { values(name).first }

    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestFailure("the body is not a JSON object: \(text.prefix(300))")
        }
        return object
    }

    var description: String {
        ([statusLine] + headers.map { "\($0.name): \($0.value)" }).joined(separator: " | ") + " | body(\(body.count) bytes): \(text.prefix(300))"
    }
}

/// Reads responses off a `RawConnection` one at a time, in order, keeping bytes that arrived past one
/// response for the next (pipelining), and tells apart "closed", "nothing yet" and "more bytes".
/// Used by one task at a time.
final class WireReader: @unchecked Sendable {
    // @unchecked Sendable: the buffer is touched only by the one task reading the connection.
    let connection: RawConnection
    private var buffer: [UInt8] = []
    private var start = 0
    private var peerClosed = false

    init(_ connection: RawConnection) { self.connection = connection }

    /// Bytes received and not yet read as part of a response.
    var pending: [UInt8] { Array(buffer[start...]) }

    /// The next whole response, waiting up to `timeout` for its bytes. `bodiless`: the answer to a HEAD
    /// (headers only, whatever Content-Length says). Throws when the time runs out or the peer closes
    /// first, saying what had arrived.
    func next(within timeout: Duration, bodiless: Bool = false) async throws -> WireResponse {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while true {
            if let response = try parse(bodiless: bodiless) { return response }
            if peerClosed {
                throw TestFailure("the connection closed before a whole response; had: \(Self.show(pending))")
            }
            let left = end - clock.now
            guard left > .zero else {
                throw TestFailure("no whole response within \(timeout); had: \(Self.show(pending))")
            }
            try await fill(timeout: left)
        }
    }

    /// Waits up to `timeout` for the peer to close. Returns the bytes that came first (none for a clean
    /// close); throws if the connection is still open then.
    @discardableResult
    func expectClose(within timeout: Duration) async throws -> [UInt8] {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while !peerClosed {
            let left = end - clock.now
            guard left > .zero else { throw TestFailure("the connection is still open after \(timeout)") }
            try await fill(timeout: left)
        }
        return pending
    }

    /// True when nothing more arrives (and the connection stays open) for `timeout`.
    func staysQuiet(for timeout: Duration) async throws -> Bool {
        guard start == buffer.count, !peerClosed else { return false }
        return try await connection.receive(timeout: timeout) == .nothingWithin
    }

    private func fill(timeout: Duration) async throws {
        switch try await connection.receive(timeout: timeout) {
        case .bytes(let bytes):
            if start > 65_536 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        case .closed:
            peerClosed = true
        case .nothingWithin:
            break
        }
    }

    /// A response from `buffer[start...]` when it is all there; nil when more bytes are needed.
    private func parse(bodiless: Bool) throws -> WireResponse? {
        guard let headEnd = find([0x0D, 0x0A, 0x0D, 0x0A], from: start) else { return nil }
        let lines = String(decoding: buffer[start..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0]
        guard statusLine.hasPrefix("HTTP/") else {
            throw TestFailure("not a status line: \(Self.show(Array(buffer[start..<headEnd])))")
        }
        var fields: [WireResponse.HTTPField] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw TestFailure("not a header field line: \(line)") }
            fields.append(.init(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let head = WireResponse(statusLine: statusLine, headers: fields, body: [])
        let bodyStart = headEnd + 4
        let code = head.status
        if bodiless || (100..<200).contains(code) || code == 204 || code == 304 {
            start = bodyStart
            return head
        }
        if head.header("Transfer-Encoding")?.lowercased() == "chunked" {
            guard let (body, end) = try dechunk(from: bodyStart) else { return nil }
            start = end
            return WireResponse(statusLine: statusLine, headers: fields, body: body)
        }
        if let lengthText = head.header("Content-Length") {
            guard let length = Int(lengthText) else { throw TestFailure("bad Content-Length: \(lengthText)") }
            guard buffer.count - bodyStart >= length else { return nil }
            start = bodyStart + length
            return WireResponse(statusLine: statusLine, headers: fields, body: Array(buffer[bodyStart..<start]))
        }
        // Delimited by the end of the connection.
        guard peerClosed else { return nil }
        start = buffer.count
        return WireResponse(statusLine: statusLine, headers: fields, body: Array(buffer[bodyStart...]))
    }

    private func dechunk(from offset: Int) throws -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var position = offset
        while true {
            guard let lineEnd = find([0x0D, 0x0A], from: position) else { return nil }
            let line = String(decoding: buffer[position..<lineEnd], as: UTF8.self)
            guard let size = Int(line.split(separator: ";").first ?? "", radix: 16) else { throw TestFailure("bad chunk size line: \(line)") }
            position = lineEnd + 2
            if size == 0 {
                // Trailer fields, then the empty line.
                while true {
                    guard let trailerEnd = find([0x0D, 0x0A], from: position) else { return nil }
                    let empty = trailerEnd == position
                    position = trailerEnd + 2
                    if empty { return (body, position) }
                }
            }
            guard buffer.count - position >= size + 2 else { return nil }
            body.append(contentsOf: buffer[position..<(position + size)])
            position += size + 2
        }
    }

    private func find(_ needle: [UInt8], from offset: Int) -> Int? {
        guard buffer.count - offset >= needle.count else { return nil }
        var i = offset
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == needle[0] {
                var j = 1
                while j < needle.count && buffer[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    private static func show(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(400), as: UTF8.self)
        return "\(bytes.count) bytes: \(text.debugDescription)"
    }
}
