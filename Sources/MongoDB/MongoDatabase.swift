import BSON
import CMongoc
import Blocking
import Foundation
import Logging

/// One database reached through one `mongoc_client_pool_t`. Every libmongoc call runs on the
/// layer's own threads and is exposed here as an async function.
public final class MongoDatabase: Sendable {
    public struct Configuration: Sendable {
        public var uri: String
        public var databaseName: String
        /// Threads running blocking driver calls; also the most clients taken from the pool at once.
        public var threads: Int
        /// Operations that may wait for a thread before new ones are refused.
        public var queueLimit: Int
        /// Applied when the URI sets no `serverSelectionTimeoutMS` (libmongoc's own default is 30 s).
        public var serverSelectionTimeoutMS: Int32
        /// Applied when the URI sets no `socketTimeoutMS` (libmongoc's own default is 300 s): how long one
        /// operation waits for a database that stopped answering.
        public var socketTimeoutMS: Int32
        public var probe: DatabaseProbe.Settings
        /// Hears of every operation done, with its kind and how long the caller waited (a thread and the
        /// server), failed ones included.
        public var onOperation: (@Sendable (DatabaseOperation, Duration) -> Void)?

        public init(uri: String, databaseName: String, threads: Int = 8, queueLimit: Int = 10_000, serverSelectionTimeoutMS: Int32 = 5_000,
                    socketTimeoutMS: Int32 = 10_000, probe: DatabaseProbe.Settings = .init()) {
            self.uri = uri
            self.databaseName = databaseName
            self.threads = threads
            self.queueLimit = queueLimit
            self.serverSelectionTimeoutMS = serverSelectionTimeoutMS
            self.socketTimeoutMS = socketTimeoutMS
            self.probe = probe
        }
    }

    public let name: String
    let executor: BlockingExecutor
    private let onOperation: (@Sendable (DatabaseOperation, Duration) -> Void)?
    private let pool: Pool
    /// Whether the database answers, for readiness (run it with the service).
    public let probe: DatabaseProbe

    public init(_ configuration: Configuration) throws {
        MongocLibrary.initialize()
        name = configuration.databaseName
        pool = try Pool(configuration)
        probe = try DatabaseProbe(uri: configuration.uri, settings: configuration.probe)
        executor = BlockingExecutor(threads: configuration.threads, queueLimit: configuration.queueLimit, name: "mongo")
        onOperation = configuration.onOperation
    }

    public func collection(_ name: String) -> MongoCollection {
        MongoCollection(name: name, database: self)
    }

    /// Runs `body` (an operation of kind `operation`) with a pooled client on a driver thread.
    func withClient<T: Sendable>(_ operation: DatabaseOperation, _ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let pool = self.pool
        let started = ContinuousClock.now
        defer { onOperation?(operation, started.duration(to: .now)) }
        do {
            return try await executor.run {
                let client = try pool.pop()
                defer { pool.push(client) }
                return try body(client)
            }
        } catch BlockingExecutorError.closed {
            throw MongoError.closed
        } catch BlockingExecutorError.overloaded(let limit) {
            throw MongoError.overloaded(queueLimit: limit)
        }
    }

    /// Runs a database command (on this database, or the one named) and returns the server's reply.
    @discardableResult
    public func command(_ command: BSONDocument, database: String? = nil) async throws -> BSONDocument {
        let name = database ?? self.name
        return try await withClient(DatabaseOperation(command: command)) { client in
            try withReply { reply in
                var error = bson_error_t()
                let ok = try withNativeBSON(command) { mongoc_client_command_simple(client, name, $0[0], nil, reply, &error) }
                guard ok else {
                    throw MongoError(error)
                }
                return try BSONDocument(native: reply)
            }
        }
    }

    /// Succeeds when the server answers `ping`.
    public func ping() async throws {
        try await command(["ping": 1])
    }

    /// Pings until the server answers or `timeout` passes, backing off between attempts.
    public func waitUntilReachable(timeout: Duration, logger: Logger) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var delay = Duration.milliseconds(200)
        var attempt = 1
        while true {
            do {
                try await ping()
                return
            } catch let error as MongoError where error.isTransient {
                guard clock.now.advanced(by: delay) < deadline else { throw error }
                logger.warning("database not reachable yet; retrying", metadata: [
                    "attempt": "\(attempt)", "retryIn": "\(delay)",
                    "error": "\(error)",
                ])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                attempt += 1
            }
        }
    }

    /// Operations waiting for a driver thread.
    public var queuedOperations: Int { executor.queued }

    /// Finishes queued operations, then closes every connection.
    /// Waiting for the driver threads and destroying the pool both block, so they run on a thread of
    /// their own, not on the caller's (cooperative) one.
    public func close() async {
        let (executor, pool, probe) = (self.executor, self.pool, self.probe)
        await offCooperativePool {
            executor.shutdown()
            pool.destroy()
            probe.close()
        }
    }
}

/// The `mongoc_client_pool_t`, used only from driver threads.
private final class Pool: @unchecked Sendable {
    // @unchecked Sendable: mongoc_client_pool_t is thread-safe (libmongoc docs, "Connection Pooling");
    // `destroyed` is written once in `destroy()`, after the executor has stopped every thread.
    private let pointer: OpaquePointer
    private var destroyed = false

    init(_ configuration: MongoDatabase.Configuration) throws {
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(configuration.uri, &error) else {
            throw MongoError.invalidURI(MongoError(error).description)
        }
        defer { mongoc_uri_destroy(uri) }
        if !mongoc_uri_has_option(uri, "serverselectiontimeoutms") {
            mongoc_uri_set_option_as_int32(uri, "serverselectiontimeoutms", configuration.serverSelectionTimeoutMS)
        }
        if !mongoc_uri_has_option(uri, "sockettimeoutms") {
            mongoc_uri_set_option_as_int32(uri, "sockettimeoutms", configuration.socketTimeoutMS)
        }
        guard let pool = mongoc_client_pool_new(uri) else {
            throw MongoError.invalidURI("libmongoc refused the URI")
        }
        mongoc_client_pool_set_error_api(pool, 2)
        mongoc_client_pool_set_appname(pool, "enricher")
        mongoc_client_pool_max_size(pool, UInt32(configuration.threads))
        pointer = pool
    }

    func pop() throws -> OpaquePointer {
        guard let client = mongoc_client_pool_pop(pointer) else { throw MongoError.closed }
        return client
    }

    func push(_ client: OpaquePointer) {
        mongoc_client_pool_push(pointer, client)
    }

    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        mongoc_client_pool_destroy(pointer)
    }
}

/// `mongoc_init` must run once per process before any other libmongoc call.
enum MongocLibrary {
    private static let initialized: Bool = {
        mongoc_init()
        // libmongoc prints its own log lines (down to DEBUG) to stdout by default; send them through swift-log.
        mongoc_log_set_handler({ level, domain, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let metadata: Logger.Metadata = ["component": "libmongoc", "domain": "\(domain.map { String(cString: $0) } ?? "")"]
            switch level {
            case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: MongocLibrary.logger.error("\(text)", metadata: metadata)
            case MONGOC_LOG_LEVEL_WARNING: MongocLibrary.logger.warning("\(text)", metadata: metadata)
            case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: MongocLibrary.logger.info("\(text)", metadata: metadata)
            default: MongocLibrary.logger.trace("\(text)", metadata: metadata)
            }
        }, nil)
        return true
    }()

    static let logger = Logger(label: "enricher.mongoc")

    static func initialize() { _ = initialized }
}
