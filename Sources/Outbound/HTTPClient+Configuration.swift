extension HTTPClient {
    /// Every bound of the outbound HTTP client, named, with the defaults Enricher runs with.
    public struct Configuration: Sendable {
        /// Sent as `User-Agent` unless a request sets its own.
        public var userAgent: String
        /// Time allowed for name resolution and the TCP (and TLS) handshake of each connection.
        public var connectTimeout: Duration
        /// Time allowed for a whole exchange, redirects included; `OutboundRequest.timeout` overrides it.
        public var timeout: Duration
        /// Largest body accepted, counted after content decoding; `OutboundRequest.maxResponseBytes` overrides it.
        public var maxResponseBytes: Int
        /// Redirects followed at most before `OutboundError.tooManyRedirects`.
        public var maxRedirects: Int
        /// Which addresses may be dialled: the guard against server-side request forgery.
        public var addressPolicy: AddressPolicy
        /// Connections open at once to one host (name and port) at most; transfers past it wait for one
        /// of them to be free. Idle connections are kept and reused.
        public var maxHostConnections: Int
        /// Connections open at once in all (idle ones kept for reuse included) at most; past it the oldest
        /// idle one is closed, or a transfer waits.
        public var maxConnections: Int
        /// Requests accepted at once (under way, or waiting for a connection) at most; past it `send`
        /// throws `OutboundError.unavailable`.
        public var queueLimit: Int

        public init(
            userAgent: String,
            connectTimeout: Duration = .seconds(5),
            timeout: Duration = .seconds(30),
            maxResponseBytes: Int = 10 * 1024 * 1024,
            maxRedirects: Int = 5,
            addressPolicy: AddressPolicy = AddressPolicy(),
            maxHostConnections: Int = 4,
            maxConnections: Int = 16,
            queueLimit: Int = 10_000
        ) {
            self.userAgent = userAgent
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.maxRedirects = maxRedirects
            self.addressPolicy = addressPolicy
            self.maxHostConnections = maxHostConnections
            self.maxConnections = maxConnections
            self.queueLimit = queueLimit
        }

        /// What is wrong with this configuration, one message per field, each naming it; empty when valid.
        /// `HTTPClient.init` refuses an invalid configuration, so check this first where it is read.
        public var problems: [String] {
            var problems: [String] = []
            if userAgent.isEmpty || userAgent.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                problems.append("userAgent must be non-empty, on one line")
            }
            if connectTimeout <= .zero { problems.append("connectTimeout must be positive") }
            if timeout <= .zero { problems.append("timeout must be positive") }
            if maxResponseBytes <= 0 { problems.append("maxResponseBytes must be positive") }
            if maxRedirects < 0 { problems.append("maxRedirects must not be negative") }
            if maxHostConnections <= 0 { problems.append("maxHostConnections must be positive") }
            if maxConnections < maxHostConnections { problems.append("maxConnections must be at least maxHostConnections") }
            if queueLimit <= 0 { problems.append("queueLimit must be positive") }
            return problems
        }
    }
}
