import Foundation

/// A catalog item Enricher looks after: what the catalog said about it, and what Enricher found.
/// One Codable shape serves both the API (JSON) and storage (BSON).
public struct Entity: Sendable, Equatable, Codable {
    public var mediaType: MediaType
    public var id: String
    public var draft: EntityDraft
    public var coverImage: CoverImage?
    public var imageLookup: ImageLookup?
    public var createdAt: Date
    public var updatedAt: Date

    public init(key: EntityKey, draft: EntityDraft, coverImage: CoverImage? = nil, imageLookup: ImageLookup? = nil, createdAt: Date, updatedAt: Date) {
        self.mediaType = key.mediaType
        self.id = key.id
        self.draft = draft
        self.coverImage = coverImage
        self.imageLookup = imageLookup
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var key: EntityKey { EntityKey(mediaType: mediaType, id: id) }
    public var status: EntityStatus {
        EntityStatus(coverImage: coverImage, existingCover: draft.existingCover != nil, imageLookup: imageLookup)
    }

    enum CodingKeys: String, CodingKey {
        case mediaType, id, title, isbn, barcode, imageUrl, authors, artist, platform, year, existingCover
        case status, coverImage, imageLookup, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(MediaType.self, forKey: .mediaType)
        id = try container.decode(String.self, forKey: .id)
        draft = EntityDraft(
            title: try container.decodeIfPresent(String.self, forKey: .title),
            isbn: try container.decodeIfPresent(String.self, forKey: .isbn),
            barcode: try container.decodeIfPresent(String.self, forKey: .barcode),
            imageUrl: try container.decodeIfPresent(String.self, forKey: .imageUrl),
            authors: try container.decodeIfPresent([String].self, forKey: .authors),
            artist: try container.decodeIfPresent(String.self, forKey: .artist),
            platform: try container.decodeIfPresent(String.self, forKey: .platform),
            year: try container.decodeIfPresent(Int.self, forKey: .year),
            existingCover: try container.decodeIfPresent(ExistingCover.self, forKey: .existingCover)
        )
        coverImage = try container.decodeIfPresent(CoverImage.self, forKey: .coverImage)
        imageLookup = try container.decodeIfPresent(ImageLookup.self, forKey: .imageLookup)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(draft.title, forKey: .title)
        try container.encodeIfPresent(draft.isbn, forKey: .isbn)
        try container.encodeIfPresent(draft.barcode, forKey: .barcode)
        try container.encodeIfPresent(draft.imageUrl, forKey: .imageUrl)
        try container.encodeIfPresent(draft.authors, forKey: .authors)
        try container.encodeIfPresent(draft.artist, forKey: .artist)
        try container.encodeIfPresent(draft.platform, forKey: .platform)
        try container.encodeIfPresent(draft.year, forKey: .year)
        try container.encodeIfPresent(draft.existingCover, forKey: .existingCover)
        // Stored too, so lists by status run on an index.
        try container.encode(status, forKey: .status)
        // Always present, null until Enricher has something to say.
        try container.encode(coverImage, forKey: .coverImage)
        try container.encode(imageLookup, forKey: .imageLookup)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
