import EnricherAPI
import EnricherCore
import Enrichment
import HTTPCore
import Logging
import MongoDB
import ServiceLifecycle
import UnixSignals

/// The composition root: builds every part of the service from the configuration, checks the database
/// before anything listens, and runs the parts as one `ServiceGroup`: the database first and the HTTP
/// server last, so that shutdown stops taking requests first and lets go of the database last (only the
/// live event streams, which never end by themselves, are ended before the server stops).
public final class Application: Sendable {
    public let configuration: Configuration
    public let database: MongoDatabase
    private let enrichment: EnrichmentServices
    private let server: HTTPServer
    private let streams: EventStreams
    private let group: ServiceGroup

    /// Connects to the database (retrying for `ENRICHER_DB_STARTUP_TIMEOUT_SECONDS`), ensures indexes
    /// and builds the services. Throws `StartupError` with a message fit for an operator. `signals` start
    /// a graceful shutdown.
    public init(configuration: Configuration, logger: Logger, signals: [UnixSignal] = []) async throws {
        self.configuration = configuration
        let redactedURI = Configuration.redact(mongoURI: configuration.database.uri)
        let database: MongoDatabase
        do {
            database = try MongoDatabase(.init(configuration.database))
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
        self.enrichment = enrichment

        let events = configuration.events
        let streams = EventStreams(settings: .init(heartbeat: events.heartbeat, poll: events.poll, maxStreams: events.maxStreams, pageSize: events.pageSize),
                                   log: enrichment.webhooks.log, jobs: enrichment.jobs, logged: enrichment.webhooks.logged)
        self.streams = streams
        let http = configuration.http
        let api = APIHandler(APIDependencies(
            configuration: configuration, entities: EntityRepository(database: database), jobs: enrichment.jobs,
            covers: enrichment.covers, scans: enrichment.scans, webhooks: enrichment.webhooks.store,
            registry: enrichment.registry, chains: enrichment.chains, signal: enrichment.signal, streams: streams,
            readiness: { [probe = database.probe] in try probe.check() },
            isTransient: { ($0 as? MongoError)?.isTransient ?? false }))
        server = HTTPServer(configuration: HTTPServerConfiguration(
            host: http.host, port: http.port,
            limits: HTTPLimits(maxRequestLineBytes: http.maxRequestLineBytes, maxHeaderBytes: http.maxHeaderBytes,
                               maxHeaderCount: http.maxHeaderCount, maxBodyBytes: http.maxBodyBytes),
            maxConnections: http.maxConnections, headerTimeout: http.headerTimeout, bodyTimeout: http.bodyTimeout, idleTimeout: http.readTimeout,
            requestTimeout: http.requestTimeout, shutdownGrace: http.shutdownGrace, accessLog: http.accessLog
        ), responder: api, logger: logger)

        var services: [any Service] = [
            Resource("database") { await database.close() },
            BackgroundWork("database probe") { await database.probe.run() },
            Resource("transfer and image threads") { await enrichment.shutdown() },
            BackgroundWork("enrichment workers") { await enrichment.worker.run() },
            BackgroundWork("cover housekeeping") { await enrichment.housekeeping.run() },
        ]
        if let (reconciler, interval) = enrichment.reconciliation {
            services.append(BackgroundWork("cover reconciliation") { await reconciler.run(every: interval) })
        }
        services += [
            BackgroundWork("scans") { await enrichment.scans.run() },
            BackgroundWork("webhook relay and delivery") { await enrichment.webhooks.run() },
            server,
            // After the server, so shutdown reaches it first: event streams (which never end by themselves)
            // end before the server waits for its requests to finish.
            Resource("event streams") { streams.close() },
        ]
        group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: signals,
            logger: logger))
    }

    /// Runs every part until a signal or `stop()` shuts them down, in reverse order.
    public func run() async throws {
        try await group.run()
    }

    /// Shuts down gracefully: the server stops accepting and lets requests in progress finish within
    /// `ENRICHER_SHUTDOWN_GRACE_SECONDS`, workers give their claimed work back, then the pools close.
    public func stop() async {
        await group.triggerGracefulShutdown()
    }

    /// Checks the settings only the running parts understand (provider names, chains, address ranges).
    public static func validate(_ configuration: Configuration) throws(ConfigurationError) {
        try EnrichmentServices.validate(configuration)
    }

    /// The port the server listens on, once it does.
    public func waitUntilListening() async throws -> Int {
        try await server.waitUntilListening()
    }

    /// The housekeeping of stored covers (what runs every `ENRICHER_IMAGE_GC_INTERVAL_SECONDS`).
    public var coverHousekeeping: CoverHousekeeping { enrichment.housekeeping }

    /// Client connections open right now.
    public var openConnections: Int { server.openConnections }

    /// Requests being handled right now.
    public var requestsInFlight: Int { server.requestsInFlight }

    /// Event streams open right now.
    public var openEventStreams: Int { streams.open }
}

/// Background work that runs until the group shuts down, then is cancelled (and gives its work back).
private struct BackgroundWork: Service, CustomStringConvertible {
    let description: String
    let work: @Sendable () async -> Void

    init(_ description: String, _ work: @escaping @Sendable () async -> Void) {
        self.description = description
        self.work = work
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await work() }
    }
}

/// Something the later services use (connections, threads), held until shutdown reaches it, then released.
private struct Resource: Service, CustomStringConvertible {
    let description: String
    let release: @Sendable () async -> Void

    init(_ description: String, release: @escaping @Sendable () async -> Void) {
        self.description = description
        self.release = release
    }

    func run() async throws {
        try? await gracefulShutdown()
        await release()
    }
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
