/// A request head that passed every check, with the facts the server needs before reading the body:
/// how it is framed, whether the connection stays open, and whether the client waits for 100 Continue.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// Exactly the bytes sent: origin-form (`/path?query`) or `*`.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request that has a body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders,
        framing: BodyFraming, keepAlive: Bool, expectsContinue: Bool
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// The request a handler sees, once the body has been read.
    public func request(body: [UInt8]) -> HTTPRequest {
        HTTPRequest(method: method, target: target, version: version, headers: headers, body: body)
    }
}
