import Foundation

/// The record of Enricher's last attempt to find a cover, as the catalog's design names it.
public struct ImageLookup: Sendable, Codable, Equatable {
    public var lookupAttemptedAt: Date
    /// Why no cover was found; `nil` when the attempt found one.
    public var failureReason: String?
    /// True when no attempt can ever succeed (no identifier and no title); such entities are never retried.
    public var permanentFailure: Bool

    public init(lookupAttemptedAt: Date, failureReason: String?, permanentFailure: Bool) {
        self.lookupAttemptedAt = lookupAttemptedAt
        self.failureReason = failureReason
        self.permanentFailure = permanentFailure
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lookupAttemptedAt, forKey: .lookupAttemptedAt)
        try container.encode(failureReason, forKey: .failureReason) // explicit null: "found, no failure"
        try container.encode(permanentFailure, forKey: .permanentFailure)
    }
}

/// The cover Enricher stored for an entity.
public struct CoverImage: Sendable, Codable, Equatable {
    public var id: String
    public var sha256: String
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var provider: String
    public var sourceUrl: String
    public var createdAt: Date

    public init(id: String, sha256: String, contentType: String, width: Int, height: Int, bytes: Int, provider: String, sourceUrl: String, createdAt: Date) {
        self.id = id
        self.sha256 = sha256
        self.contentType = contentType
        self.width = width
        self.height = height
        self.bytes = bytes
        self.provider = provider
        self.sourceUrl = sourceUrl
        self.createdAt = createdAt
    }
}
