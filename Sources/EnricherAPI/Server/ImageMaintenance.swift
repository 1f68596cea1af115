import EnricherCore
import Enrichment
import Images
import Logging
import MongoDB

/// Operator tasks on stored covers, run from the command line against the configured database.
public enum ImageMaintenance {
    /// Compares entities with stored covers; with `repair`, makes missing renditions again and clears
    /// references to covers that are gone (those entities become `missing`, to be looked up anew).
    public static func reconcile(configuration: Configuration, repair: Bool, logger: Logger) async throws -> ReconcileReport {
        let database = try MongoDatabase(.init(
            uri: configuration.database.uri, databaseName: configuration.database.name,
            threads: 2, queueLimit: 1000, serverSelectionTimeoutMS: Int32(configuration.database.serverSelectionTimeoutMS)
        ))
        let rules = configuration.images
        let inspector = try ImageInspector(
            limits: ImageLimits(maxBytes: rules.maxBytes, maxPixels: rules.maxPixels, minShortSide: rules.minShortSide,
                                placeholderSHA256s: rules.placeholderSHA256s),
            threads: rules.threads, queueLimit: rules.queueLimit, maxWaiting: 4 * rules.queueLimit, logger: logger)
        defer { inspector.shutdown() }
        do {
            try await database.waitUntilReachable(timeout: configuration.database.startupTimeout, logger: logger)
            let store = CoverStore(database: database)
            let library = CoverLibrary(store: store, images: inspector, settings: EnrichmentServices.renditionSettings(rules),
                                       duplicateDistance: rules.duplicateDistance)
            let report = try await CoverReconciler(store: store, library: library, entities: EntityRepository(database: database), logger: logger)
                .run(repair: repair)
            await database.close()
            return report
        } catch {
            await database.close()
            throw error
        }
    }
}
