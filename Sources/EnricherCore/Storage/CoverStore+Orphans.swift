import Foundation

/// What one sweep of GridFS for files no cover owns found and did.
public struct OrphanSweep: Sendable, Equatable {
    /// Files newly seen with no cover document naming them (deleted once the grace period has passed).
    public var filesMarked = 0
    public var filesDeleted = 0
    /// Chunks with no files document, deleted.
    public var chunksDeleted = 0

    public init(filesMarked: Int = 0, filesDeleted: Int = 0, chunksDeleted: Int = 0) {
        self.filesMarked = filesMarked
        self.filesDeleted = filesDeleted
        self.chunksDeleted = chunksDeleted
    }
}

extension CoverStore {
    /// Deletes GridFS files that no cover document names and chunks that no files document owns, each
    /// only once it has been seen so for `grace` (an upload in progress writes its chunks, then its files
    /// document, then its cover document, all well within it). The first sweep that sees an orphan
    /// marks it; a later one, past the grace period, deletes it if it is still an orphan and still
    /// carries that mark.
    public func sweepOrphans(now: Date, grace: Duration, pageSize: Int = 200) async throws -> OrphanSweep {
        var sweep = OrphanSweep()
        let (seconds, attoseconds) = grace.components
        let cutoff = now.addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18))
        var after: String?
        while true {
            let page = try await blobs.filesPage(after: after, limit: pageSize)
            guard let last = page.last else { break }
            after = last.id
            let owned = try await owned(page.map(\.id))
            for (id, orphanSince) in page {
                try Task.checkCancellation()
                switch (owned.contains(id), orphanSince) {
                case (true, nil):
                    continue
                case (true, .some):
                    try await blobs.unmark(id)
                case (false, nil):
                    try await blobs.mark(id, orphanSince: now)
                    sweep.filesMarked += 1
                case (false, .some(let mark)) where mark <= cutoff:
                    // Asked again just before the delete: a cover stored since the page was read owns it.
                    if try await self.owned([id]).isEmpty, try await blobs.delete(id, markedAt: mark) { sweep.filesDeleted += 1 }
                case (false, .some):
                    continue
                }
            }
        }
        after = nil
        while let ids = try await blobs.chunkOwnersPage(after: after, limit: 4 * pageSize) {
            after = ids.last
            let described = try await blobs.existing(ids)
            for id in ids where !described.contains(id) {
                try Task.checkCancellation()
                sweep.chunksDeleted += try await blobs.sweepChunks(of: id, cutoff: cutoff, now: now)
            }
        }
        return sweep
    }
}
