import BSON
import Foundation
import MongoDB

/// What the catalog looks like at a glance, for the status page: how many entities stand where, and
/// why lookups failed. Every query runs on an index and reads a bounded number of documents.
extension EntityRepository {
    /// How many entities each media type has in each status: one count per pair, each on the `status_id`
    /// index (status, then the media type's `_id` range), never a collection scan.
    public func countsByMediaTypeAndStatus() async throws -> [MediaType: [EntityStatus: Int]] {
        var counts: [MediaType: [EntityStatus: Int]] = [:]
        for mediaType in MediaType.allCases {
            for status in EntityStatus.allCases {
                counts[mediaType, default: [:]][status] = try await collection.countDocuments([
                    "status": .string(status.rawValue), "_id": Self.idRange(mediaType),
                ])
            }
        }
        return counts
    }

    /// Entities whose lookups failed with the same `failureReason`.
    public struct FailureGroup: Sendable, Equatable {
        /// nil for lookups recorded without one.
        public var reason: String?
        public var count: Int
        /// True when the failure is permanent (nothing to search with): a re-run skips these.
        public var permanent: Bool
        /// The media types among them, in `MediaType` order.
        public var mediaTypes: [MediaType]
        /// The most recent lookup among them.
        public var lastLookupAt: Date?
    }

    /// The `limit` most common failure reasons among at most `sample` failed entities (`failed`, then
    /// `permanent`, in key order on the `status_id` index), most common first: the work stays bounded
    /// however many entities failed. `examined` is how many entities were grouped (the sample, or fewer).
    public func failureGroups(sample: Int, limit: Int) async throws -> (examined: Int, groups: [FailureGroup]) {
        let failed: BSONDocument = ["status": ["$in": [.string(EntityStatus.failed.rawValue), .string(EntityStatus.permanent.rawValue)]]]
        let documents = try await collection.aggregate([
            ["$match": .document(failed)],
            ["$limit": .int64(Int64(sample))],
            ["$group": [
                "_id": "$imageLookup.failureReason",
                "n": ["$sum": 1],
                "permanent": ["$max": "$imageLookup.permanentFailure"],
                "mediaTypes": ["$addToSet": "$mediaType"],
                "last": ["$max": "$imageLookup.lookupAttemptedAt"],
            ]],
            ["$sort": ["n": -1, "_id": 1]],
        ])
        // Every group of the sample comes back (at most `sample` of them), so the entities examined are their
        // sum: no count of every failed entity.
        let examined = documents.reduce(0) { $0 + Int($1["n"]?.int64Value ?? 0) }
        let groups = documents.prefix(limit).map { group in
            let types = Set((group["mediaTypes"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(MediaType.init(rawValue:)) })
            return FailureGroup(reason: group["_id"]?.stringValue, count: Int(group["n"]?.int64Value ?? 0),
                                permanent: group["permanent"]?.boolValue ?? false,
                                mediaTypes: MediaType.allCases.filter(types.contains), lastLookupAt: group["last"]?.dateValue)
        }
        return (examined, groups)
    }

    /// One entity showing each of the stored covers `ids` (on the `coverImage_id` index), by cover id: a
    /// read of one document per cover, so a cover many entities share does not crowd the others out.
    public func showing(covers ids: [String]) async throws -> [String: Entity] {
        var found: [String: Entity] = [:]
        for id in Set(ids) {
            if let document = try await collection.findOne(["coverImage.id": .string(id)]) { found[id] = try decode(document) }
        }
        return found
    }
}
