import Foundation

/// Which entities a re-run takes (`POST /v1/enrichments` with a `filter`, `enricher enrich --filter`):
/// every condition given must hold; an empty filter takes every entity.
public struct EntityFilter: Sendable, Equatable, Codable {
    /// Any of these media types; empty: any.
    public var mediaTypes: [MediaType]
    /// Any of these statuses; empty: any.
    public var statuses: [EntityStatus]
    /// The last lookup asked this source and it gave no cover (it is in `imageLookup.sources`).
    public var provider: String?
    /// Text the last lookup's `failureReason` contains, ignoring case.
    public var failureReason: String?
    /// The last lookup was made before this time.
    public var lookedUpBefore: Date?
    /// The last lookup was made at or after this time.
    public var lookedUpAfter: Date?

    /// The longest `failureReason` text a filter may search for.
    public static let maxFailureReasonLength = 200
    /// Names a list condition (media types, statuses) may hold: more than there are of either.
    public static let maxNames = 16

    public init(mediaTypes: [MediaType] = [], statuses: [EntityStatus] = [], provider: String? = nil, failureReason: String? = nil,
                lookedUpBefore: Date? = nil, lookedUpAfter: Date? = nil) {
        self.mediaTypes = mediaTypes
        self.statuses = statuses
        self.provider = provider
        self.failureReason = failureReason
        self.lookedUpBefore = lookedUpBefore
        self.lookedUpAfter = lookedUpAfter
    }

    enum CodingKeys: String, CodingKey { case mediaTypes, statuses, provider, failureReason, lookedUpBefore, lookedUpAfter }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaTypes = try container.decodeIfPresent([MediaType].self, forKey: .mediaTypes) ?? []
        statuses = try container.decodeIfPresent([EntityStatus].self, forKey: .statuses) ?? []
        provider = try container.decodeIfPresent(String.self, forKey: .provider)
        failureReason = try container.decodeIfPresent(String.self, forKey: .failureReason)
        lookedUpBefore = try container.decodeIfPresent(Date.self, forKey: .lookedUpBefore)
        lookedUpAfter = try container.decodeIfPresent(Date.self, forKey: .lookedUpAfter)
    }

    /// Every field, null when not set: the filter as a job shows it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaTypes, forKey: .mediaTypes)
        try container.encode(statuses, forKey: .statuses)
        try container.encode(provider, forKey: .provider)
        try container.encode(failureReason, forKey: .failureReason)
        try container.encode(lookedUpBefore, forKey: .lookedUpBefore)
        try container.encode(lookedUpAfter, forKey: .lookedUpAfter)
    }
}
