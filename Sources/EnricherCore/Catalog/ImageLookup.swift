import Foundation

/// The record of Enricher's last attempt to find a cover, as the catalog's design names it, with when a
/// lookup that found nothing is due again.
public struct ImageLookup: Sendable, Codable, Equatable {
    public var lookupAttemptedAt: Date
    /// Why no cover was found; `nil` when the attempt found one.
    public var failureReason: String?
    /// True when no attempt can ever succeed (no identifier and no title); such entities are never retried
    /// until what a lookup depends on changes.
    public var permanentFailure: Bool
    /// Lookups in a row that found no cover (0 after a find); chooses the wait of the retry schedule.
    public var attempts: Int
    /// When a scan takes the entity again by itself; nil: never (a cover was found, the failure is
    /// permanent, or the schedule is off).
    public var retryAt: Date?
    /// The sources the lookup asked that gave no cover (provider names, and `imageUrl` for the entity's own
    /// image), in the order asked: what a re-run by `provider` selects on. Empty after a find, and for
    /// lookups recorded before sources were kept.
    public var sources: [String]

    public init(lookupAttemptedAt: Date, failureReason: String?, permanentFailure: Bool, attempts: Int? = nil, retryAt: Date? = nil,
                sources: [String] = []) {
        self.lookupAttemptedAt = lookupAttemptedAt
        self.failureReason = failureReason
        self.permanentFailure = permanentFailure
        self.attempts = attempts ?? (failureReason == nil ? 0 : 1)
        self.retryAt = retryAt
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey { case lookupAttemptedAt, failureReason, permanentFailure, attempts, retryAt, sources }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lookupAttemptedAt = try container.decode(Date.self, forKey: .lookupAttemptedAt)
        failureReason = try container.decodeIfPresent(String.self, forKey: .failureReason)
        permanentFailure = try container.decode(Bool.self, forKey: .permanentFailure)
        // Lookups recorded before retries existed: one attempt if it failed, never due by itself.
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? (failureReason == nil ? 0 : 1)
        retryAt = try container.decodeIfPresent(Date.self, forKey: .retryAt)
        sources = try container.decodeIfPresent([String].self, forKey: .sources) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lookupAttemptedAt, forKey: .lookupAttemptedAt)
        try container.encode(failureReason, forKey: .failureReason) // explicit null: "found, no failure"
        try container.encode(permanentFailure, forKey: .permanentFailure)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(retryAt, forKey: .retryAt) // explicit null: "not due by itself"
        try container.encode(sources, forKey: .sources)
    }
}

/// One picture a catalog UI can show: the normalized original or a rendition.
public struct CoverRendition: Sendable, Codable, Equatable {
    /// `original` or a configured rendition name (`thumb`, `display`...).
    public var name: String
    /// Where the service serves it: `/v1/images/{id}/{name}`.
    public var url: String
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: Int

    public init(name: String, url: String, contentType: String, width: Int, height: Int, bytes: Int) {
        self.name = name
        self.url = url
        self.contentType = contentType
        self.width = width
        self.height = height
        self.bytes = bytes
    }
}

/// The cover Enricher stored for an entity. `contentType`, `width`, `height` and `bytes` describe the
/// normalized original; `sha256` is the hash of the image as downloaded (and the `id`).
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
    /// Every picture stored for it, the original first.
    public var renditions: [CoverRendition]

    public init(id: String, sha256: String, contentType: String, width: Int, height: Int, bytes: Int, provider: String,
                sourceUrl: String, createdAt: Date, renditions: [CoverRendition] = []) {
        self.id = id
        self.sha256 = sha256
        self.contentType = contentType
        self.width = width
        self.height = height
        self.bytes = bytes
        self.provider = provider
        self.sourceUrl = sourceUrl
        self.createdAt = createdAt
        self.renditions = renditions
    }

    enum CodingKeys: String, CodingKey {
        case id, sha256, contentType, width, height, bytes, provider, sourceUrl, createdAt, renditions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        sha256 = try container.decode(String.self, forKey: .sha256)
        contentType = try container.decode(String.self, forKey: .contentType)
        width = try container.decode(Int.self, forKey: .width)
        height = try container.decode(Int.self, forKey: .height)
        bytes = try container.decode(Int.self, forKey: .bytes)
        provider = try container.decode(String.self, forKey: .provider)
        sourceUrl = try container.decode(String.self, forKey: .sourceUrl)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        // Covers stored before renditions existed have none listed; `enricher images reconcile` adds them.
        renditions = try container.decodeIfPresent([CoverRendition].self, forKey: .renditions) ?? []
    }
}
