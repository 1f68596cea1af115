import EnricherCore
import Foundation
import Logging

/// Deletes stored covers no entity shows any more, once they have been unused for the grace period
/// (a cover another entity takes up again in the meantime is kept).
public struct CoverHousekeeping: Sendable {
    let store: CoverStore
    let entities: EntityRepository
    let interval: Duration
    let grace: Duration
    let logger: Logger

    public init(store: CoverStore, entities: EntityRepository, interval: Duration, grace: Duration, logger: Logger) {
        self.store = store
        self.entities = entities
        self.interval = interval
        self.grace = grace
        self.logger = logger
    }

    /// Sweeps every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                let deleted = try await sweep()
                if deleted > 0 { logger.info("unused covers deleted", metadata: ["count": "\(deleted)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cover housekeeping failed; trying again next time", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass: marks covers newly unused, clears the mark of covers in use again, deletes covers
    /// unused for longer than the grace period. Returns how many were deleted.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Int {
        var deleted = 0
        var after: String?
        while true {
            let page = try await store.page(after: after, limit: 200)
            guard let last = page.last else { return deleted }
            after = last.cover.id
            for (cover, unusedSince) in page {
                try Task.checkCancellation()
                if try await entities.usesCover(cover.id) {
                    if unusedSince != nil { try await store.setUnused(cover.id, since: nil) }
                } else if let unusedSince {
                    if now.timeIntervalSince(unusedSince) >= grace.seconds {
                        try await store.delete(cover)
                        deleted += 1
                        logger.debug("unused cover deleted", metadata: ["cover": "\(cover.id)"])
                    }
                } else {
                    try await store.setUnused(cover.id, since: now)
                }
            }
        }
    }
}
