import EnricherCore
import Foundation
import Logging

/// What `enricher images reconcile` found (and, with `--repair`, fixed).
public struct ReconcileReport: Sendable, Encodable, Equatable {
    public var coversChecked = 0
    public var entitiesChecked = 0
    /// Cover id -> files it lacks.
    public var missingFiles: [String: [String]] = [:]
    /// Cover id -> renditions made again.
    public var renditionsMade: [String: [String]] = [:]
    /// Covers whose original is gone: nothing can be made from them.
    public var brokenCovers: [String] = []
    /// Entities ("mediaType/id") whose coverImage names a cover that is not stored.
    public var danglingReferences: [String] = []
    /// Dangling references cleared: those entities are `missing` again, to be looked up anew.
    public var referencesCleared: [String] = []
    /// Entities whose listed renditions did not match the stored cover (updated with `--repair`).
    public var staleListings: [String] = []
    /// Covers no entity shows (housekeeping deletes them after the grace period).
    public var unusedCovers = 0

    public init() {}

    public var isClean: Bool {
        missingFiles.isEmpty && brokenCovers.isEmpty && danglingReferences.isEmpty && staleListings.isEmpty
    }
}

/// What reconciliation may change.
public enum ReconcileRepair: Sendable {
    /// Report only.
    case none
    /// Make missing renditions again from the stored original: it only adds files an existing cover
    /// document names, so the scheduled run does it unattended.
    case renditions
    /// Renditions, and entities too: references to covers that are gone are cleared (those entities are
    /// looked up again) and stale rendition listings rewritten. What `enricher images reconcile --repair` does.
    case all
}

/// Finds and repairs drift between entities and stored covers.
public struct CoverReconciler: Sendable {
    let store: CoverStore
    let library: CoverLibrary
    let entities: EntityRepository
    let logger: Logger

    public init(store: CoverStore, library: CoverLibrary, entities: EntityRepository, logger: Logger) {
        self.store = store
        self.library = library
        self.entities = entities
        self.logger = logger
    }

    /// Runs every `interval` until cancelled, making missing renditions again and logging the rest of
    /// what it finds (an operator decides about entities, with `enricher images reconcile --repair`).
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                let report = try await run(repair: .renditions)
                let metadata: Logger.Metadata = [
                    "covers": "\(report.coversChecked)", "entities": "\(report.entitiesChecked)",
                    "renditionsMade": "\(report.renditionsMade.values.reduce(0) { $0 + $1.count })",
                    "brokenCovers": "\(report.brokenCovers.prefix(20))", "danglingReferences": "\(report.danglingReferences.prefix(20))",
                    "staleListings": "\(report.staleListings.prefix(20))", "unusedCovers": "\(report.unusedCovers)",
                ]
                if !report.brokenCovers.isEmpty || !report.danglingReferences.isEmpty || !report.staleListings.isEmpty {
                    logger.notice("stored covers drift from entities; `enricher images reconcile --repair` fixes what it can", metadata: metadata)
                } else {
                    logger.info("stored covers reconciled", metadata: metadata)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("scheduled cover reconciliation failed; trying again next time", metadata: ["error": "\(error)"])
            }
        }
    }

    public func run(repair: ReconcileRepair) async throws -> ReconcileReport {
        var report = ReconcileReport()
        var after: String?
        while true {
            let page = try await store.page(after: after, limit: 200)
            guard let last = page.last else { break }
            after = last.cover.id
            for (cover, _) in page {
                report.coversChecked += 1
                if try await !entities.usesCover(cover.id) { report.unusedCovers += 1 }
                let missing = try await library.missingFiles(of: cover)
                guard !missing.isEmpty else { continue }
                report.missingFiles[cover.id] = missing
                if missing.contains(StoredCover.originalName) {
                    report.brokenCovers.append(cover.id)
                } else if repair != .none {
                    let (_, made) = try await library.repair(cover)
                    if !made.isEmpty { report.renditionsMade[cover.id] = made }
                }
            }
        }
        var cursor: EntityCursor?
        repeat {
            let (page, next) = try await entities.list(mediaType: nil, status: .found, after: cursor, limit: 200)
            cursor = next
            for entity in page {
                report.entitiesChecked += 1
                guard let shown = entity.coverImage else { continue }
                let key = entity.key.description
                guard let cover = try await store.cover(shown.id), !report.brokenCovers.contains(shown.id) else {
                    report.danglingReferences.append(key)
                    if repair == .all {
                        try await entities.recordLookup(entity.key, coverImage: nil, imageLookup: nil, existingCover: entity.draft.existingCover != nil)
                        report.referencesCleared.append(key)
                        logger.notice("cleared a reference to a missing cover", metadata: ["entity": "\(key)", "cover": "\(shown.id)"])
                    }
                    continue
                }
                let current = CoverImage(cover, provider: shown.provider, sourceUrl: shown.sourceUrl, createdAt: shown.createdAt)
                if current != shown {
                    report.staleListings.append(key)
                    if repair == .all {
                        try await entities.recordLookup(entity.key, coverImage: current, imageLookup: entity.imageLookup,
                                                        existingCover: entity.draft.existingCover != nil)
                    }
                }
            }
        } while cursor != nil
        return report
    }
}
