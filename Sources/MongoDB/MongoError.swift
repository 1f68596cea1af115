import CMongoc

/// What can go wrong talking to MongoDB, classified so callers can react (retry, 409, 503) without
/// reading driver messages.
public enum MongoError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURI(String)
    /// A unique index refused the write (server code 11000).
    case duplicateKey(message: String)
    /// No server could be selected or reached (connection refused, DNS, no primary).
    case unreachable(message: String)
    /// A connection broke or an operation ran past its socket timeout.
    case network(message: String)
    case timeout(message: String)
    /// The server answered with an error.
    case server(code: Int32, message: String)
    /// Anything the driver itself refused (bad options, a protocol problem).
    case client(domain: UInt32, code: UInt32, message: String)
    /// A document from the server could not be read.
    case malformedReply(String)
    /// The layer's own queue is full.
    case overloaded(queueLimit: Int)
    case closed

    public var description: String {
        switch self {
        case .invalidURI(let message): "invalid MongoDB URI: \(message)"
        case .duplicateKey(let message): "duplicate key: \(message)"
        case .unreachable(let message): "database unreachable: \(message)"
        case .network(let message): "database network error: \(message)"
        case .timeout(let message): "database timeout: \(message)"
        case .server(let code, let message): "database error \(code): \(message)"
        case .client(let domain, let code, let message): "database driver error (\(domain).\(code)): \(message)"
        case .malformedReply(let message): "malformed database reply: \(message)"
        case .overloaded(let limit): "database queue is full (\(limit) operations waiting)"
        case .closed: "database connection pool is closed"
        }
    }

    /// True for errors a later attempt may not see (the server or the network was unavailable, a replica
    /// set was electing a primary): the API answers them 503 with Retry-After and jobs try again.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .network, .timeout, .overloaded: true
        case .server(let code, _): Self.transientServerCodes.contains(code)
        default: false
        }
    }

    /// The server's codes for "not now" (the retryable reads and writes specifications' lists): a
    /// primary stepping down or shutting down, a node that is not (or no longer) primary, an interrupted
    /// or timed-out operation, a host unreachable from the server's side.
    static let transientServerCodes: Set<Int32> = [
        6, // HostUnreachable
        7, // HostNotFound
        89, // NetworkTimeout
        91, // ShutdownInProgress
        134, // ReadConcernMajorityNotAvailableYet
        189, // PrimarySteppedDown
        262, // ExceededTimeLimit
        9001, // SocketException
        10058, // LegacyNotPrimary
        10107, // NotWritablePrimary
        11600, // InterruptedAtShutdown
        11602, // InterruptedDueToReplStateChange
        13435, // NotPrimaryNoSecondaryOk
        13436, // NotPrimaryOrSecondary
    ]

    static let duplicateKeyCodes: Set<Int32> = [11000, 11001, 12582]

    init(_ error: bson_error_t) {
        let message = withUnsafeBytes(of: error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let domain = error.domain
        let code = error.code
        switch domain {
        case MONGOC_ERROR_SERVER.rawValue, MONGOC_ERROR_WRITE_CONCERN.rawValue:
            if Self.duplicateKeyCodes.contains(Int32(bitPattern: code)) {
                self = .duplicateKey(message: message)
            } else if code == 50 { // MaxTimeMSExpired
                self = .timeout(message: message)
            } else {
                self = .server(code: Int32(bitPattern: code), message: message)
            }
        case MONGOC_ERROR_SERVER_SELECTION.rawValue:
            self = .unreachable(message: message)
        case MONGOC_ERROR_STREAM.rawValue:
            self = message.localizedCaseInsensitiveContains("timed out") || message.localizedCaseInsensitiveContains("timeout")
                ? .timeout(message: message) : .network(message: message)
        default:
            self = .client(domain: domain, code: code, message: message)
        }
    }
}
