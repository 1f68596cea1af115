import Foundation
import Logging
import Synchronization

/// One client connection: reads requests in order (keep-alive and pipelining), bounded in size and time,
/// hands each to the responder and writes the answers in the order the requests came.
final class HTTPConnection: Sendable {
    let descriptor: Int32
    /// This connection's place in the server's accept order, from 1 (`HTTPRequestContext.connection`).
    let number: Int
    private let loop: EventLoop
    private let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let onFinished: (@Sendable (FinishedRequest) -> Void)?
    private let server: ServerState
    /// The task serving this connection, cancelled when a request outlives `requestTimeout`.
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let timedOut = Atomic<Bool>(false)
    /// When the request being handled must be answered, in `ServerState.clock` nanoseconds; 0: none.
    private let requestDeadline = Atomic<Int64>(0)

    init(descriptor: Int32, number: Int, loop: EventLoop, configuration: HTTPServerConfiguration, responder: any HTTPResponder,
         logger: Logger, onFinished: (@Sendable (FinishedRequest) -> Void)?, server: ServerState) {
        self.descriptor = descriptor
        self.number = number
        self.loop = loop
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.onFinished = onFinished
        self.server = server
    }

    func attach(_ task: Task<Void, Never>) { self.task.withLock { $0 = task } }

    func cancel() { task.withLock { $0 }?.cancel() }

    /// Called once a tick: ends a request that has run past its deadline.
    func expire(at now: Int64) {
        let deadline = requestDeadline.load(ordering: .relaxed)
        guard deadline != 0, deadline <= now else { return }
        timedOut.store(true, ordering: .relaxed)
        cancel()
    }

    /// Why reading stopped.
    private enum Stop: Error {
        case closed
        case refused(HTTPStatus, String)
    }

    /// What follows an answer.
    private enum Next {
        case keepAlive
        case close
        /// Close, but read what the client is still sending first, so that it reads the answer before a
        /// reset (RFC 9112 §9.6).
        case closeAfterDraining
    }

    func run() async {
        var buffer = ReadBuffer(capacity: 4096, limit: configuration.limits.maxRequestLineBytes + configuration.limits.maxHeaderBytes + 4096)
        var next = Next.keepAlive
        while next == .keepAlive && !Task.isCancelled {
            do {
                next = try await serveOne(&buffer)
            } catch Stop.refused(let status, let detail) {
                let context = HTTPRequestContext(id: HTTPRequestContext.requestID(offered: nil), logger: logger, connection: number)
                let started = ContinuousClock.now
                let response = responder.refusal(status, detail: detail, context: context)
                let sent = try? await write(response, method: .GET, version: .http1_1, keepAlive: false, context: context)
                finished(method: nil, status: status, bytes: sent?.bytes ?? 0, started: started, context: context)
                next = status == .requestTimeout ? .close : .closeAfterDraining
            } catch {
                next = .close
            }
        }
        if next == .closeAfterDraining { await drain(&buffer) }
        loop.forget(descriptor)
        close(descriptor)
    }

    /// Stops sending, then discards what the client still sends for a moment (bounded in bytes and time).
    private func drain(_ buffer: inout ReadBuffer) async {
        shutdown(descriptor, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + .seconds(1)
        var discarded = 0
        while discarded < 1 << 20 {
            buffer.consume(buffer.unread)
            do { try await fill(&buffer, deadline: deadline, idle: false) } catch { return }
            discarded += buffer.unread
        }
    }

    /// Reads one request, answers it, and says what happens to the connection.
    private func serveOne(_ buffer: inout ReadBuffer) async throws -> Next {
        var parser = HTTPRequestHeadParser(limits: configuration.limits)
        let clock = ContinuousClock()
        var headerDeadline: ContinuousClock.Instant?
        let head: HTTPRequestHead
        while true {
            let result = buffer.withUnread { parser.parse($0) }
            switch result {
            case .complete(let parsed, let consumed):
                buffer.consume(consumed)
                head = parsed
            case .failure(let error):
                throw Stop.refused(error.status, error.detail)
            case .needMore:
                if parser.hasStarted && headerDeadline == nil { headerDeadline = clock.now + configuration.headerTimeout }
                let idle = clock.now + configuration.idleTimeout
                do {
                    if let headerDeadline {
                        try await fill(&buffer, deadline: min(headerDeadline, idle), idle: false)
                    } else {
                        try await fill(&buffer, deadline: idle, idle: true)
                        if parser.hasStarted == false, buffer.unread > 0 { headerDeadline = clock.now + configuration.headerTimeout }
                    }
                } catch EventLoop.WaitError.timedOut where parser.hasStarted || buffer.unread > 0 {
                    throw Stop.refused(.requestTimeout, "the request's header section did not arrive in time")
                }
                continue
            }
            break
        }

        let started = clock.now
        let context = HTTPRequestContext(id: HTTPRequestContext.requestID(offered: head.headers["X-Request-ID"]), logger: logger, connection: number)
        let stopping = server.isStopping
        if let early = responder.screen(head, context: context) {
            // The body, if any, is left unread: the connection cannot be reused.
            let unreadBody = head.framing != .none
            let reusable = !unreadBody && head.keepAlive && !stopping
            let sent = try await write(early, method: head.method, version: head.version, keepAlive: reusable, context: context)
            finished(method: head.method, status: early.status, bytes: sent.bytes, started: started, context: context)
            return reusable ? .keepAlive : unreadBody ? .closeAfterDraining : .close
        }

        var body: [UInt8] = []
        if head.framing != .none {
            var decoder: HTTPBodyDecoder
            do {
                decoder = try HTTPBodyDecoder(framing: head.framing, limits: configuration.limits)
            } catch {
                throw Stop.refused(error.status, error.detail)
            }
            if head.expectsContinue && head.version == .http1_1 {
                try await send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            // The whole body within `bodyTimeout` of the head's end: a client trickling bytes just inside the
            // idle timeout cannot hold a connection for ever.
            let bodyDeadline = clock.now + configuration.bodyTimeout
            reading: while true {
                let (consumed, result) = buffer.withUnread { decoder.decode($0, into: &body) }
                buffer.consume(consumed)
                switch result {
                case .complete: break reading
                case .failure(let error): throw Stop.refused(error.status, error.detail)
                case .needMore:
                    do {
                        try await fill(&buffer, deadline: min(bodyDeadline, clock.now + configuration.idleTimeout), idle: false)
                    } catch EventLoop.WaitError.timedOut {
                        throw Stop.refused(.requestTimeout, "the request body did not arrive in time")
                    }
                }
            }
        }

        let request = head.request(body: body)
        requestDeadline.store(server.nanoseconds(clock.now + configuration.requestTimeout), ordering: .relaxed)
        server.requestStarted()
        var response = await responder.respond(to: request, context: context)
        server.requestEnded()
        requestDeadline.store(0, ordering: .relaxed)
        if timedOut.load(ordering: .relaxed) {
            let seconds = configuration.requestTimeout.components.seconds
            response = responder.refusal(.serviceUnavailable, detail: "the request took longer than \(seconds) s; try again", context: context)
            response.headers["Retry-After"] = "5"
            let bytes = serialize(response, method: head.method, version: head.version, keepAlive: false, context: context)
            // The task is cancelled, so no waiting: one attempt, then close.
            _ = bytes.head.withUnsafeBytes { SocketIO.send(descriptor, $0) }
            finished(method: head.method, status: response.status, bytes: bytes.head.count, started: started, context: context)
            return .close
        }
        let keepAlive = head.keepAlive && !server.isStopping
        let sent = try await write(response, method: head.method, version: head.version, keepAlive: keepAlive, context: context)
        finished(method: head.method, status: response.status, bytes: sent.bytes, started: started, context: context)
        return sent.keepAlive ? .keepAlive : .close
    }

    /// Reads more bytes into `buffer`, waiting up to `deadline`. `idle`: nothing of a request is in hand,
    /// so a shutdown may end the wait.
    private func fill(_ buffer: inout ReadBuffer, deadline: ContinuousClock.Instant, idle: Bool) async throws {
        while true {
            guard buffer.reserve() else { throw Stop.refused(.requestHeaderFieldsTooLarge, "the request is larger than the server reads at once") }
            let received = buffer.withFreeSpace { SocketIO.receive(descriptor, into: $0) }
            switch received {
            case .bytes(let count):
                buffer.received(count)
                return
            case .closed:
                throw Stop.closed
            case .wouldBlock:
                try await loop.wait(descriptor, deadline: deadline, idle: idle)
            }
        }
    }

    // MARK: Writing

    /// Writes `response`; returns the bytes sent and whether the connection may carry another request
    /// (a body of unknown length to an HTTP/1.0 client ends with the connection).
    private func write(_ response: HTTPResponse, method: HTTPMethod, version: HTTPVersion, keepAlive: Bool,
                       context: HTTPRequestContext) async throws -> (bytes: Int, keepAlive: Bool) {
        let serialized = serialize(response, method: method, version: version, keepAlive: keepAlive, context: context)
        guard case .stream(let length, let produce) = response.body, serialized.sendsBody else {
            try await send(serialized.head)
            return (serialized.head.count, serialized.keepAlive)
        }
        try await send(serialized.head)
        let writer = BodyWriter(connection: self, chunked: serialized.chunked)
        do {
            try await produce(writer)
        } catch {
            context.logger.warning("response body failed part-way; closing the connection", metadata: ["error": "\(error)"])
            throw Stop.closed
        }
        if serialized.chunked { try await send(Array("0\r\n\r\n".utf8)) }
        let written = writer.count
        if let length, written != length {
            context.logger.error("response body length differs from its Content-Length; closing the connection",
                                 metadata: ["declared": "\(length)", "written": "\(written)"])
            throw Stop.closed
        }
        return (serialized.head.count + written, serialized.keepAlive)
    }

    private struct Serialized {
        /// The status line and headers, with the whole body when it is in hand.
        var head: [UInt8]
        var sendsBody: Bool
        var chunked: Bool
        var keepAlive: Bool
    }

    private func serialize(_ response: HTTPResponse, method: HTTPMethod, version: HTTPVersion, keepAlive: Bool,
                           context: HTTPRequestContext) -> Serialized {
        let status = response.status.code
        let bodiless = method == .HEAD || (100..<200).contains(status) || status == 204 || status == 304
        var keepAlive = keepAlive
        var lengthField: String?
        var chunked = false
        switch response.body {
        case .bytes(let bytes):
            if status != 204 && status != 304 { lengthField = String(bytes.count) }
        case .stream(let length, _):
            if let length {
                lengthField = String(length)
            } else if !bodiless {
                if version == .http1_1 { chunked = true } else { keepAlive = false }
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(256 + (bodiless ? 0 : response.body.inHandCount))
        out.append(contentsOf: "HTTP/1.1 \(status) ".utf8)
        Self.appendSafe(response.status.reason, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        for field in response.headers where !Self.framingField(field.name) {
            guard Self.isToken(field.name) else { continue }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            Self.appendSafe(field.value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "X-Request-ID: ".utf8)
        out.append(contentsOf: context.id.utf8)
        out.append(contentsOf: "\r\nDate: ".utf8)
        out.append(contentsOf: HTTPDate.now())
        out.append(contentsOf: "\r\n".utf8)
        if let lengthField { out.append(contentsOf: "Content-Length: \(lengthField)\r\n".utf8) }
        if chunked { out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8) }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if version == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !bodiless, case .bytes(let bytes) = response.body { out.append(contentsOf: bytes) }
        let sendsBody = !bodiless
        return Serialized(head: out, sendsBody: sendsBody, chunked: chunked, keepAlive: keepAlive)
    }

    /// The server frames messages itself; a handler's own framing fields would contradict it.
    private static func framingField(_ name: String) -> Bool {
        for framing in ["Content-Length", "Transfer-Encoding", "Connection", "X-Request-ID", "Date"]
        where HTTPHeaders.same(name, framing) { return true }
        return false
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }

    /// A header value as bytes, with any CR, LF or NUL (which would split or end the header) made a space.
    private static func appendSafe(_ value: String, to out: inout [UInt8]) {
        for byte in value.utf8 {
            out.append(byte == 0x0D || byte == 0x0A || byte == 0 ? 0x20 : byte)
        }
    }

    /// Sends every byte, waiting while the client's window is full (up to `idleTimeout` without progress).
    func send(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { SocketIO.send(descriptor, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .bytes(let count): offset += count
            case .closed: throw Stop.closed
            case .wouldBlock:
                try await loop.wait(descriptor, writable: true, deadline: .now + configuration.idleTimeout, idle: false)
            }
        }
    }

    /// Reports an answered request: to `onFinished`, and in the access log when it is on.
    private func finished(method: HTTPMethod?, status: HTTPStatus, bytes: Int, started: ContinuousClock.Instant,
                          context: HTTPRequestContext) {
        let elapsed = started.duration(to: .now)
        onFinished?(FinishedRequest(method: method, route: context.route, status: status, bytes: bytes, duration: elapsed))
        guard configuration.accessLog else { return }
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "method": .string(method?.rawValue ?? "-"),
            "route": .string(context.route ?? "-"),
            "status": .stringConvertible(status.code),
            "bytes": .stringConvertible(bytes),
            "durationMs": .string(String(format: "%.1f", milliseconds)),
        ])
    }
}

extension HTTPResponse.Body {
    var inHandCount: Int {
        if case .bytes(let bytes) = self { return bytes.count }
        return 0
    }
}

/// Writes a streamed body to its connection, in chunks when the length was not known up front.
private final class BodyWriter: HTTPBodyWriter, Sendable {
    let connection: HTTPConnection
    let chunked: Bool
    private let written = Atomic<Int>(0)

    init(connection: HTTPConnection, chunked: Bool) {
        self.connection = connection
        self.chunked = chunked
    }

    var count: Int { written.load(ordering: .relaxed) }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        written.add(bytes.count, ordering: .relaxed)
        if chunked {
            var framed = Array(String(bytes.count, radix: 16).utf8)
            framed.append(contentsOf: [0x0D, 0x0A])
            framed.append(contentsOf: bytes)
            framed.append(contentsOf: [0x0D, 0x0A])
            try await connection.send(framed)
        } else {
            try await connection.send(bytes)
        }
    }
}
