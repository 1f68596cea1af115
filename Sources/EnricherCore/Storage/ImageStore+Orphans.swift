import BSON
import Foundation
import MongoDB

/// Deleting files safely while uploads run: a file is marked first (`orphanSince` on its files
/// document and chunks), and only a file still carrying that mark is deleted. `put` clears the mark
/// when it reuses a file and writes every chunk unmarked, so a delete never takes bytes an upload
/// wrote or kept.
extension ImageStore {
    /// Marks file `id` (its files document and every chunk) as orphaned at `mark`.
    public func mark(_ id: String, orphanSince mark: Date) async throws {
        try await files.updateOne(["_id": .string(id)], ["$set": ["metadata.orphanSince": .date(mark)]])
        try await chunks.updateMany(["files_id": .string(id)], ["$set": ["orphanSince": .date(mark)]])
    }

    /// Clears file `id`'s orphan mark: something owns it again.
    public func unmark(_ id: String) async throws {
        try await files.updateOne(["_id": .string(id)], ["$unset": ["metadata.orphanSince": ""]])
    }

    /// Deletes file `id` if it still carries the orphan mark `mark` (nothing claimed it since), then
    /// the chunks marked with it. Returns whether the file was deleted.
    @discardableResult
    public func delete(_ id: String, markedAt mark: Date) async throws -> Bool {
        guard try await files.deleteOne(["_id": .string(id), "metadata.orphanSince": .date(mark)]) > 0 else { return false }
        try await chunks.deleteMany(["files_id": .string(id), "orphanSince": .date(mark)])
        return true
    }

    /// One page of files documents in id order after `after`: each id with its orphan mark, if any.
    public func filesPage(after: String?, limit: Int) async throws -> [(id: String, orphanSince: Date?)] {
        let filter: BSONDocument = after.map { ["_id": ["$gt": .string($0)]] } ?? [:]
        let documents = try await files.find(filter, options: .init(sort: ["_id": 1], limit: limit, projection: ["metadata.orphanSince": 1]))
        return documents.compactMap { document in
            document["_id"]?.stringValue.map { ($0, document["metadata"]?.documentValue?["orphanSince"]?.dateValue) }
        }
    }

    /// The file ids that have chunks, in order after `after`, one page of chunks at a time (on the
    /// `files_id_1_n_1` index; the chunks' data is not read). nil past the last page.
    public func chunkOwnersPage(after: String?, limit: Int) async throws -> [String]? {
        let filter: BSONDocument = after.map { ["files_id": ["$gt": .string($0)]] } ?? [:]
        let documents = try await chunks.find(filter, options: .init(sort: ["files_id": 1, "n": 1], limit: limit, projection: ["files_id": 1]))
        guard !documents.isEmpty else { return nil }
        var ids: [String] = []
        for case let id? in documents.map({ $0["files_id"]?.stringValue }) where ids.last != id { ids.append(id) }
        return ids
    }

    /// The ids among `ids` that have a files document.
    public func existing(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let documents = try await files.find(["_id": ["$in": .array(ids.map(BSONValue.string))]], options: .init(projection: ["_id": 1]))
        return Set(documents.compactMap { $0["_id"]?.stringValue })
    }

    /// Chunks of `id`, which has no files document: deletes those marked orphaned at or before
    /// `cutoff` and marks the unmarked ones `now`. Returns how many were deleted. An upload in progress
    /// rewrites every chunk unmarked, so only chunks left alone for the whole grace period go.
    public func sweepChunks(of id: String, cutoff: Date, now: Date) async throws -> Int {
        guard try await existing([id]).isEmpty else { return 0 }
        let deleted = try await chunks.deleteMany(["files_id": .string(id), "orphanSince": ["$lte": .date(cutoff)]])
        try await chunks.updateMany(["files_id": .string(id), "orphanSince": ["$exists": false]], ["$set": ["orphanSince": .date(now)]])
        return deleted
    }
}
