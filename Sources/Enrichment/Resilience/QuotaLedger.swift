import BSON
import Foundation
import MongoDB
import Resilience

/// A provider's daily quota, counted in MongoDB (`provider_quotas`, one document per provider and UTC
/// day) so a restart keeps the day's count and several processes share it. Taking a unit is one atomic
/// upsert: it only increments while the count is below the limit.
public struct QuotaLedger: Sendable {
    public static let collectionName = "provider_quotas"
    let collection: MongoCollection
    public let provider: ProviderID
    public let limit: Int

    public init(database: MongoDatabase, provider: ProviderID, limit: Int) {
        collection = database.collection(Self.collectionName)
        self.provider = provider
        self.limit = limit
    }

    static func day(_ date: Date) -> String { DailyQuota.dayKey(for: date, in: DailyQuota.utc) }

    func documentID(_ date: Date) -> String { "\(provider.rawValue)/\(Self.day(date))" }

    /// Takes one unit of today's quota; false when it is used up.
    public func take(now: Date = Date()) async throws -> Bool {
        do {
            let result = try await collection.updateOne(
                ["_id": .string(documentID(now)), "used": ["$lt": .int64(Int64(limit))]],
                ["$inc": ["used": 1], "$setOnInsert": ["provider": .string(provider.rawValue), "day": .string(Self.day(now))]],
                upsert: true)
            return result.matchedCount == 1 || result.upsertedID != nil
        } catch MongoError.duplicateKey {
            // Today's document exists and is at the limit: the filter did not match, the insert collided.
            return false
        }
    }

    /// Units used today.
    public func used(now: Date = Date()) async throws -> Int {
        Int(try await collection.findOne(["_id": .string(documentID(now))])?["used"]?.int64Value ?? 0)
    }

    /// Time until the quota renews (midnight UTC).
    public static func untilReset(now: Date = Date()) -> Duration {
        let reset = DailyQuota(limit: 1).nextReset(after: now)
        return .seconds(max(1, Int64(reset.timeIntervalSince(now).rounded(.up))))
    }
}
