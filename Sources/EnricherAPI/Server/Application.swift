import EnricherCore
import Enrichment
import FlyingFox
import FlyingSocks
import Foundation
import Logging
import MongoDB
import ServiceLifecycle
import Synchronization

/// The running service: the database connection, its storage, and the HTTP API, started and stopped together.
public final class Application: Service, Sendable {
    public let configuration: Configuration
    public let database: MongoDatabase
    private let server: HTTPServer
    private let gate: ConnectionGate
    private let inFlight = InFlightCounter()
    private let logger: Logger
    private let stopRequested: StopFlag
    private let serverTask = Mutex<Task<Void, any Error>?>(nil)
    private let enrichment: EnrichmentServices
    private let workerTask = Mutex<Task<Void, Never>?>(nil)

    /// Connects to the database (retrying for `ENRICHER_DB_STARTUP_TIMEOUT_SECONDS`), ensures indexes
    /// and prepares the server. Throws `StartupError` with a message fit for an operator.
    public init(configuration: Configuration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        let redactedURI = Configuration.redact(mongoURI: configuration.database.uri)
        let database: MongoDatabase
        do {
            database = try MongoDatabase(.init(
                uri: configuration.database.uri,
                databaseName: configuration.database.name,
                threads: configuration.database.threads,
                queueLimit: configuration.database.queueLimit,
                serverSelectionTimeoutMS: Int32(configuration.database.serverSelectionTimeoutMS)
            ))
        } catch {
            throw StartupError.database("MONGODB_URI \(redactedURI) is not usable: \(error)")
        }
        let enrichment: EnrichmentServices
        do {
            enrichment = try EnrichmentServices(configuration: configuration, database: database, logger: logger)
        } catch {
            await database.close()
            throw StartupError.server("cannot set up enrichment: \(error)")
        }
        self.enrichment = enrichment
        do {
            try await database.waitUntilReachable(timeout: configuration.database.startupTimeout, logger: logger)
            try await EntityRepository(database: database).ensureIndexes()
            try await enrichment.ensureIndexes()
        } catch let error as MongoError where error.isTransient {
            await enrichment.shutdown()
            await database.close()
            let seconds = configuration.database.startupTimeout.components.seconds
            throw StartupError.database("cannot reach MongoDB at \(redactedURI) after \(seconds) s (ENRICHER_DB_STARTUP_TIMEOUT_SECONDS): \(error)")
        } catch {
            await enrichment.shutdown()
            await database.close()
            throw StartupError.database("MongoDB at \(redactedURI) refused to start Enricher: \(error)")
        }
        self.database = database

        var router = Router()
        HealthRoutes(database: database, configuration: configuration).register(in: &router)
        EntityRoutes(repository: EntityRepository(database: database), limits: configuration.limits,
                     maxBodyBytes: configuration.http.maxBodyBytes).register(in: &router)
        EnrichmentRoutes(jobs: enrichment.jobs, entities: EntityRepository(database: database), signal: enrichment.signal,
                         maxEntities: configuration.jobs.maxEntities, limits: configuration.limits,
                         maxBodyBytes: configuration.http.maxBodyBytes,
                         callbacksSigned: !configuration.webhooks.callbackSecrets.isEmpty).register(in: &router)
        ProviderRoutes(registry: enrichment.registry, settings: enrichment.settings, chains: enrichment.chains,
                       selection: configuration.images.selection, outbound: configuration.outbound).register(in: &router)
        ImageRoutes(covers: enrichment.covers).register(in: &router)
        ScanRoutes(scans: enrichment.scans, maxBodyBytes: configuration.http.maxBodyBytes, limits: configuration.limits).register(in: &router)
        WebhookRoutes(store: enrichment.webhooks.store, maxBodyBytes: configuration.http.maxBodyBytes, limits: configuration.limits).register(in: &router)
        InboundRoutes(configuration: configuration, database: database, jobs: enrichment.jobs, inbox: enrichment.webhooks.store,
                      signal: enrichment.signal, logger: logger)
            .register(in: &router)
        let handler = APIHandler(router: router, authenticator: Authenticator(keys: configuration.apiKeys), logger: logger, inFlight: inFlight)

        gate = ConnectionGate(limit: configuration.http.maxConnections)
        let stopRequested = StopFlag()
        self.stopRequested = stopRequested
        let address: any SocketAddress
        do {
            let port = UInt16(configuration.http.port)
            address = configuration.http.host.contains(":")
                ? try sockaddr_in6.inet6(ip6: configuration.http.host, port: port)
                : try sockaddr_in.inet(ip4: configuration.http.host, port: port)
        } catch {
            await enrichment.shutdown()
            await database.close()
            throw StartupError.server("ENRICHER_HOST '\(configuration.http.host)' is not an IP address to listen on")
        }
        let requestTimeout = configuration.http.requestTimeout.components.seconds
        server = HTTPServer(config: HTTPServer.Configuration(
            address: address,
            timeout: TimeInterval(requestTimeout),
            pool: ServerSocketPool(inner: HTTPServer.defaultPool(), ioTimeout: configuration.http.readTimeout, gate: gate),
            logger: FlyingFoxLogger(logger: logger, gate: gate, stopping: stopRequested)
        ))
        await server.appendRoute(HTTPRoute(methods: Self.routedMethods, path: "*"), to: handler)
    }

    /// Serves until cancelled or a graceful shutdown is triggered, then lets in-flight requests finish
    /// within `ENRICHER_SHUTDOWN_GRACE_SECONDS` and closes the database pool.
    public func run() async throws {
        let working = Task { [enrichment] in
            await withDiscardingTaskGroup { group in
                group.addTask { await enrichment.worker.run() }
                group.addTask { await enrichment.housekeeping.run() }
                group.addTask { await enrichment.scans.run() }
                group.addTask { await enrichment.webhooks.run() }
            }
        }
        workerTask.withLock { $0 = working }
        let serving = Task { try await server.run() }
        serverTask.withLock { $0 = serving }
        // Background work stops and the pools close whether serving ended cleanly or with an error.
        var failure: (any Error)?
        do { try await serve(serving) } catch { failure = error }
        working.cancel()
        await working.value
        await enrichment.shutdown()
        await database.close()
        if let failure { throw failure }
    }

    private func serve(_ serving: Task<Void, any Error>) async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                do {
                    try await serving.value
                } catch where stopRequested.isSet {
                    // The accept loop ends with an error once stop() closes its socket: expected.
                }
            } onCancel: {
                serving.cancel()
            }
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
    }

    /// Stops accepting connections and waits for open ones to finish, up to the grace period.
    public func stop() async {
        stopRequested.set()
        // Workers give their work in hand back to the queue; the next start takes it at once.
        // Housekeeping stops between covers.
        workerTask.withLock { $0 }?.cancel()
        let grace = configuration.http.shutdownGrace
        logger.info("shutting down", metadata: ["graceSeconds": "\(grace.components.seconds)", "openConnections": "\(gate.openConnections)"])
        // FlyingFox closes the listening socket and lets each connection finish its current request, but
        // its accept loop never wakes after that, so it always waits out the whole timeout. End the server
        // ourselves as soon as no connection is left.
        let stopping = Task { [server] in await server.stop(timeout: TimeInterval(grace.components.seconds)) }
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while gate.openConnections > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        serverTask.withLock { $0 }?.cancel()
        await stopping.value
    }

    /// Checks the settings only the running parts understand (provider names, chains, address ranges).
    public static func validate(_ configuration: Configuration) throws(ConfigurationError) {
        try EnrichmentServices.validate(configuration)
    }

    /// The port the server listens on, once it does.
    public func waitUntilListening(timeout: TimeInterval = 10) async throws -> Int {
        try await server.waitUntilListening(timeout: timeout)
        switch await server.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): return Int(port)
        default: throw StartupError.server("the server is not listening on an IP address")
        }
    }

    /// The housekeeping of stored covers (what runs every `ENRICHER_IMAGE_GC_INTERVAL_SECONDS`).
    public var coverHousekeeping: CoverHousekeeping { enrichment.housekeeping }

    /// Client connections open right now.
    public var openConnections: Int { gate.openConnections }

    /// Requests being handled right now.
    public var requestsInFlight: Int { inFlight.value }
}

extension Application {
    /// FlyingFox hands a handler only the methods its route names (unmatched ones get an empty 404), so
    /// name the standard ones and the common extensions: our router then answers 405 with `Allow`.
    static let routedMethods: Set<HTTPMethod> = Set([
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
        "QUERY", "SEARCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "LINK", "UNLINK", "PURGE",
    ].map { HTTPMethod($0) })
}

/// Set once when shutdown begins; read by whatever must behave differently from then on.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// Why the service could not start, phrased for the operator reading the console.
public enum StartupError: Error, CustomStringConvertible {
    case database(String)
    case server(String)

    public var description: String {
        switch self {
        case .database(let message), .server(let message): message
        }
    }
}
