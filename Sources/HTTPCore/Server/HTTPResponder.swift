import Logging
import Synchronization

/// What answers requests: the server reads and bounds them, a responder decides what they mean.
public protocol HTTPResponder: Sendable {
    /// Sees a request's head before its body is read. An answer here (no such route, no credentials) is
    /// sent without reading the body, and the connection is closed if a body was announced.
    func screen(_ head: HTTPRequestHead, context: HTTPRequestContext) -> HTTPResponse?

    /// Answers a request whose head and body were read in full.
    func respond(to request: HTTPRequest, context: HTTPRequestContext) async -> HTTPResponse

    /// The answer to a request the server refused on its own (malformed, too large, too slow).
    func refusal(_ status: HTTPStatus, detail: String, context: HTTPRequestContext) -> HTTPResponse
}

extension HTTPResponder {
    public func screen(_ head: HTTPRequestHead, context: HTTPRequestContext) -> HTTPResponse? { nil }

    public func refusal(_ status: HTTPStatus, detail: String, context: HTTPRequestContext) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], bytes: Array((detail + "\n").utf8))
    }
}

/// One request's identity while it is served: its id (echoed as `X-Request-ID` and in every log line
/// about it), a logger carrying that id, and the route template the responder matched, for the access log.
public final class HTTPRequestContext: Sendable {
    public let id: String
    public let logger: Logger
    /// Which of the server's connections the request came on: 1 for the first accepted, counting up.
    /// Requests with the same number shared one kept-alive connection.
    public let connection: Int
    private let matched = Mutex<(route: String?, state: (any Sendable)?)>((nil, nil))

    init(id: String, logger: Logger, connection: Int) {
        self.id = id
        self.connection = connection
        var logger = logger
        logger[metadataKey: "requestId"] = .string(id)
        self.logger = logger
    }

    /// The route template (`/v1/entities/{mediaType}/{id}`), never the path itself: bounded for logs.
    public var route: String? {
        get { matched.withLock { $0.route } }
        set { matched.withLock { $0.route = newValue } }
    }

    /// What the responder's `screen` worked out (the matched route), kept for `respond`.
    public var screened: (any Sendable)? {
        get { matched.withLock { $0.state } }
        set { matched.withLock { $0.state = newValue } }
    }

    /// A client's `X-Request-ID` when it is short and plain (letters, digits, `-_.:`), else a new one.
    static func requestID(offered: String?) -> String {
        if let offered, (1...128).contains(offered.utf8.count),
           offered.utf8.allSatisfy({ byte in
               (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                   || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A
           }) {
            return offered
        }
        return hex(UInt64.random(in: .min ... .max))
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 16)
        var value = value
        for index in stride(from: 15, through: 0, by: -1) {
            bytes[index] = digits[Int(value & 0xF)]
            value >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
