import BSON
import Foundation

extension EntityRepository {
    /// The query for `filter`'s entities with an `_id` after `lastID`, in one `$and` so the media types'
    /// ranges and the cursor never overwrite each other. Statuses run on the `status_id` index.
    static func query(_ filter: EntityFilter, after lastID: String? = nil) -> BSONDocument {
        var clauses: [BSONValue] = []
        switch filter.mediaTypes.count {
        case 0: break
        case 1: clauses.append(["_id": idRange(filter.mediaTypes[0])])
        default: clauses.append(["$or": .array(filter.mediaTypes.map { ["_id": idRange($0)] })])
        }
        if let lastID { clauses.append(["_id": ["$gt": .string(lastID)]]) }
        if !filter.statuses.isEmpty {
            clauses.append(["status": ["$in": .array(filter.statuses.map { .string($0.rawValue) })]])
        }
        if let provider = filter.provider { clauses.append(["imageLookup.sources": .string(provider)]) }
        if let text = filter.failureReason {
            clauses.append(["imageLookup.failureReason": ["$regex": .string(literalPattern(text)), "$options": "i"]])
        }
        var lookedUp = BSONDocument()
        if let before = filter.lookedUpBefore { lookedUp["$lt"] = .date(before) }
        if let after = filter.lookedUpAfter { lookedUp["$gte"] = .date(after) }
        if !lookedUp.isEmpty { clauses.append(["imageLookup.lookupAttemptedAt": .document(lookedUp)]) }
        return clauses.isEmpty ? [:] : ["$and": .array(clauses)]
    }

    /// A regular expression matching `text` literally: every ASCII character that is not a letter or a
    /// digit is escaped (an escaped punctuation character is always itself), so no input is a pattern.
    static func literalPattern(_ text: String) -> String {
        var pattern = ""
        for character in text.unicodeScalars {
            if character.isASCII && !(character.properties.isAlphabetic || ("0"..."9").contains(character)) {
                pattern.append("\\")
            }
            pattern.unicodeScalars.append(character)
        }
        return pattern
    }

    /// How many entities `filter` takes now.
    public func count(matching filter: EntityFilter) async throws -> Int {
        try await collection.countDocuments(Self.query(filter))
    }

    /// Up to `limit` of `filter`'s entities after `lastID`, in key order.
    public func keys(matching filter: EntityFilter, after lastID: String?, limit: Int) async throws -> [EntityKey] {
        guard limit > 0 else { return [] }
        let documents = try await collection.find(Self.query(filter, after: lastID),
                                                  options: .init(sort: ["_id": 1], limit: limit, projection: ["_id": 1]))
        return documents.compactMap { $0["_id"]?.stringValue.flatMap(EntityKey.init(documentID:)) }
    }
}
