import EnricherCore
import Foundation
import Logging

/// What one housekeeping pass deleted.
public struct HousekeepingSweep: Sendable, Equatable {
    /// Covers no entity showed for the grace period.
    public var coversDeleted = 0
    /// GridFS files and chunks nothing owned (left by interrupted uploads or deletes).
    public var orphans = OrphanSweep()

    public init(coversDeleted: Int = 0, orphans: OrphanSweep = OrphanSweep()) {
        self.coversDeleted = coversDeleted
        self.orphans = orphans
    }
}

/// Deletes stored covers no entity shows any more, once they have been unused for the grace period
/// (a cover another entity takes up again in the meantime is kept), and GridFS files and chunks no
/// cover owns once they have been orphaned for the orphan grace period.
public struct CoverHousekeeping: Sendable {
    let store: CoverStore
    let entities: EntityRepository
    let interval: Duration
    let grace: Duration
    let orphanGrace: Duration
    let logger: Logger

    public init(store: CoverStore, entities: EntityRepository, interval: Duration, grace: Duration, orphanGrace: Duration, logger: Logger) {
        self.store = store
        self.entities = entities
        self.interval = interval
        self.grace = grace
        self.orphanGrace = orphanGrace
        self.logger = logger
    }

    /// Sweeps every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                let swept = try await sweep()
                if swept.coversDeleted > 0 || swept.orphans.filesDeleted > 0 || swept.orphans.chunksDeleted > 0 {
                    logger.info("unused covers and orphaned image files deleted", metadata: [
                        "covers": "\(swept.coversDeleted)", "files": "\(swept.orphans.filesDeleted)", "chunks": "\(swept.orphans.chunksDeleted)",
                    ])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cover housekeeping failed; trying again next time", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass: marks covers newly unused, clears the mark of covers in use again, deletes covers
    /// unused for longer than the grace period (only if no `publish` claimed them since: the delete is
    /// conditional on the mark), then sweeps GridFS for files and chunks nothing owns.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> HousekeepingSweep {
        var swept = HousekeepingSweep()
        var after: String?
        while true {
            let page = try await store.page(after: after, limit: 200)
            guard let last = page.last else { break }
            after = last.cover.id
            for (cover, unusedSince) in page {
                try Task.checkCancellation()
                if try await entities.usesCover(cover.id) {
                    if unusedSince != nil { try await store.setUnused(cover.id, since: nil) }
                } else if let unusedSince {
                    if now.timeIntervalSince(unusedSince) >= grace.seconds {
                        if try await store.delete(cover, unusedSince: unusedSince, now: now) {
                            swept.coversDeleted += 1
                            logger.debug("unused cover deleted", metadata: ["cover": "\(cover.id)"])
                        } else {
                            logger.debug("unused cover taken up again before its delete; kept", metadata: ["cover": "\(cover.id)"])
                        }
                    }
                } else {
                    try await store.setUnused(cover.id, since: now)
                }
            }
        }
        swept.orphans = try await store.sweepOrphans(now: now, grace: orphanGrace)
        return swept
    }
}
