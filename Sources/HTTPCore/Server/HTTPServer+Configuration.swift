/// What the server allows a client and how long it waits for one: every limit explicit.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal to listen on.
    public var host: String
    /// 0: the kernel picks a free port (see `HTTPServer.waitUntilListening`).
    public var port: Int
    /// Request line, header section and body sizes.
    public var limits: HTTPLimits
    /// Connections served at once; more clients wait in the kernel's listen backlog until one closes.
    public var maxConnections: Int
    /// The whole header section must arrive within this time of its first byte (slow senders get 408).
    public var headerTimeout: Duration
    /// The whole body must arrive within this time of the header section's end (408 otherwise).
    public var bodyTimeout: Duration
    /// A connection that makes no progress (reading or writing) for this long is closed; also how long
    /// an idle keep-alive connection is kept.
    public var idleTimeout: Duration
    /// How long a handler may take before the request is answered 503 and the connection closed.
    public var requestTimeout: Duration
    /// At shutdown, how long requests in progress may take to finish.
    public var shutdownGrace: Duration
    /// One log line per request (method, route, status, bytes, duration) at info.
    public var accessLog: Bool
    /// The kernel's queue of connections not yet accepted.
    public var backlog: Int32

    public init(
        host: String = "127.0.0.1", port: Int = 0, limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 1024,
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(30), requestTimeout: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(10), accessLog: Bool = true, backlog: Int32 = 1024
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.shutdownGrace = shutdownGrace
        self.accessLog = accessLog
        self.backlog = backlog
    }
}
