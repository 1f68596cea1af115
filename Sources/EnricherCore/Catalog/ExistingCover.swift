/// The catalog's word that it already has a cover for an entity (with the cover's URL when it has one).
/// Such an entity is `present`: Enricher does not look for a competing cover unless a job forces it.
public struct ExistingCover: Sendable, Equatable, Codable {
    /// Where the catalog's cover is, http or https; nil when the catalog did not say.
    public var url: String?

    public init(url: String? = nil) {
        self.url = url
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url) // explicit null: "a cover, URL not given"
    }
}
