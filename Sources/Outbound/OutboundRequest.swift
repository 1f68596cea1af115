import Foundation

/// One outbound HTTP request: to a provider's API, an image host, or (later) a webhook receiver.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Overrides the client's response byte cap for this request.
    public var maxResponseBytes: Int?
    /// Overrides the client's total timeout for this request.
    public var timeout: Duration?
    /// Redirects are followed (each hop re-checked by the address policy) unless this is false.
    public var followRedirects: Bool
    /// The request is not sent unless it starts by then (it fails with `late`): one that spends a slot of a
    /// provider's budget must not arrive inside the next slot, however long it waited on this side.
    public var leaveBy: ContinuousClock.Instant?
    /// The request is not sent before then: the transfer thread holds it until its slot, so that the moment
    /// it leaves does not depend on when a task of the cooperative pool wakes on a busy machine.
    public var notBefore: ContinuousClock.Instant?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8]? = nil, maxResponseBytes: Int? = nil, timeout: Duration? = nil, followRedirects: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.maxResponseBytes = maxResponseBytes
        self.timeout = timeout
        self.followRedirects = followRedirects
    }
}

/// A complete response. Any status is a response; only transport failures throw.
public struct OutboundResponse: Sendable {
    public var status: Int
    /// Headers of the final response (after redirects), in order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The URL that produced this response, after any redirects.
    public var url: String

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], url: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why a request produced no response.
public enum OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address dialled is refused by the address policy (server-side request forgery guard).
    case blockedAddress(String)
    /// The URL is malformed or uses a scheme other than http or https.
    case invalidURL(String)
    /// The method or a header is malformed (not a token, or holds CR, LF or NUL), so it was not sent.
    case invalidRequest(String)
    /// Connecting took longer than the connect timeout.
    case connectTimeout
    /// The whole exchange took longer than the total timeout.
    case timeout
    /// The body grew past the byte cap; the transfer was aborted.
    case responseTooLarge(limit: Int)
    /// More redirects than allowed.
    case tooManyRedirects(limit: Int)
    /// DNS failure, refused or reset connection, TLS failure, malformed response...
    case connection(String)
    /// The client is shutting down or its queue is full.
    case unavailable(String)
    /// The calling task was cancelled; the transfer was stopped.
    case cancelled
    /// Not sent: it could not start before its `leaveBy` (a busy machine); take a new slot and send again.
    case late

    public var description: String {
        switch self {
        case .blockedAddress(let detail): "address refused: \(detail)"
        case .invalidURL(let detail): "invalid URL: \(detail)"
        case .invalidRequest(let detail): "invalid request: \(detail)"
        case .connectTimeout: "connect timeout"
        case .timeout: "timeout"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .connection(let detail): "connection failed: \(detail)"
        case .unavailable(let detail): "HTTP client unavailable: \(detail)"
        case .cancelled: "cancelled"
        case .late: "not sent: it could not leave before its slot lapsed"
        }
    }
}

/// What providers and downloaders need from an HTTP client; `HTTPClient` is the libcurl one.
public protocol HTTPFetching: Sendable {
    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse
}
