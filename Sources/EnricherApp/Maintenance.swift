import Blocking
import EnricherCore
import Enrichment
import Images
import Logging
import MongoDB

/// Operator tasks run from the command line against the configured database.
public enum Maintenance {
    /// Compares entities with stored covers; with `repair`, makes missing renditions again and clears
    /// references to covers that are gone (those entities become `missing`, to be looked up anew).
    public static func reconcileImages(configuration: Configuration, repair: Bool, logger: Logger) async throws -> ReconcileReport {
        let rules = configuration.images
        let inspector = try ImageInspector(
            limits: ImageLimits(maxBytes: rules.maxBytes, maxPixels: rules.maxPixels, minShortSide: rules.minShortSide,
                                placeholderSHA256s: rules.placeholderSHA256s),
            threads: rules.threads, queueLimit: rules.queueLimit, maxWaiting: 4 * rules.queueLimit, logger: logger)
        let report: ReconcileReport
        do {
            report = try await withDatabase(configuration, logger: logger) { database in
                let store = CoverStore(database: database)
                let library = CoverLibrary(store: store, images: inspector, settings: EnrichmentServices.renditionSettings(rules),
                                           duplicateDistance: rules.duplicateDistance)
                return try await CoverReconciler(store: store, library: library, entities: EntityRepository(database: database), logger: logger)
                    .run(repair: repair ? .all : .none)
            }
        } catch {
            await offCooperativePool { inspector.shutdown() }
            throw error
        }
        // Joining the libvips threads blocks: not on the cooperative pool.
        await offCooperativePool { inspector.shutdown() }
        return report
    }

    /// What a scan would take now, as configured; changes nothing.
    public static func planScan(configuration: Configuration, force: Bool, logger: Logger) async throws -> ScanPlan {
        let mediaTypes = try EnrichmentServices.scannedMediaTypes(configuration)
        return try await withDatabase(configuration, logger: logger) { database in
            try await ScanService.plan(entities: EntityRepository(database: database), mediaTypes: mediaTypes,
                                       batchSize: configuration.scans.batchSize, force: force)
        }
    }

    /// Counts the entities `filter` takes and, unless `dryRun`, stores a job re-running them; a running
    /// service writes its tasks and does the work.
    public static func rerun(configuration: Configuration, filter: EntityFilter, force: Bool, dryRun: Bool, logger: Logger) async throws -> Rerun {
        try await withDatabase(configuration, logger: logger) { database in
            try await JobStore(database: database).rerun(filter: filter, force: force, callbackUrl: nil, dryRun: dryRun,
                                                         maxEntities: configuration.jobs.filterMaxEntities,
                                                         entities: EntityRepository(database: database))
        }
    }

    /// Runs `body` with a small connection pool to the configured database, closed afterwards.
    static func withDatabase<T>(_ configuration: Configuration, logger: Logger, _ body: (MongoDatabase) async throws -> T) async throws -> T {
        let database = try MongoDatabase(.init(configuration.database, threads: 2, queueLimit: 1000))
        do {
            try await database.waitUntilReachable(timeout: configuration.database.startupTimeout, logger: logger)
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

extension MongoDatabase.Configuration {
    /// The pool as configured (`threads` and `queueLimit` as given, for tools that need a small one).
    init(_ database: Configuration.Database, threads: Int? = nil, queueLimit: Int? = nil) {
        self.init(uri: database.uri, databaseName: database.name, threads: threads ?? database.threads,
                  queueLimit: queueLimit ?? database.queueLimit, serverSelectionTimeoutMS: Int32(database.serverSelectionTimeoutMS),
                  socketTimeoutMS: Int32(database.socketTimeoutMS),
                  probe: DatabaseProbe.Settings(interval: database.probeInterval, timeout: database.probeTimeout))
    }
}
