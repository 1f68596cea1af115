import BSON
import EnricherCore
import Foundation

/// The queue as a whole: how much unfinished work there is, for metrics.
extension JobStore {
    /// Where an unfinished task stands.
    public enum QueuedState: String, Sendable, CaseIterable {
        /// Due: waiting for a worker of any instance (the queue's depth).
        case due
        /// Claimed by a worker, under its lease.
        case claimed
        /// Not due yet: postponed for a provider's budget, deferred after a throttle, or a retry later.
        case waiting
    }

    /// Unfinished tasks by media type and state, every pair present (0 when none). One aggregation over
    /// the queued tasks only (the prefix of the `state_priority_turn_dueAt` index), so its cost follows the
    /// queue's length, not the history of finished tasks.
    public func queuedCounts(now: Date = Date()) async throws -> [MediaType: [QueuedState: Int]] {
        let groups = try await tasks.aggregate([
                ["$match": ["state": .string(JobItem.State.queued.rawValue)]],
                ["$group": [
                    "_id": [
                        // The entity's document id is `<media type>/<id>`.
                        "mediaType": ["$arrayElemAt": [["$split": ["$entity", "/"]], 0]],
                        "state": ["$cond": [
                            ["$lte": ["$dueAt", .date(now)]], .string(QueuedState.due.rawValue),
                            ["$cond": [["$gt": ["$owner", .null]], .string(QueuedState.claimed.rawValue), .string(QueuedState.waiting.rawValue)]],
                        ]],
                    ],
                    "n": ["$sum": 1],
                ]],
        ])
        var counts: [MediaType: [QueuedState: Int]] = [:]
        for mediaType in MediaType.allCases {
            counts[mediaType] = Dictionary(uniqueKeysWithValues: QueuedState.allCases.map { ($0, 0) })
        }
        for group in groups {
            guard let key = group["_id"]?.documentValue,
                  let mediaType = key["mediaType"]?.stringValue.flatMap(MediaType.init(rawValue:)),
                  let state = key["state"]?.stringValue.flatMap(QueuedState.init(rawValue:)) else { continue }
            counts[mediaType, default: [:]][state, default: 0] += Int(group["n"]?.int64Value ?? 0)
        }
        return counts
    }
}
