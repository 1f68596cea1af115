/// Where an entity stands in enrichment; derived from its `coverImage` and `imageLookup`.
public enum EntityStatus: String, Sendable, Codable, CaseIterable {
    /// Not looked up yet.
    case missing
    /// Has a cover.
    case found
    /// Looked up without success; a forced run may try again.
    case failed
    /// Can never succeed (no identifier and no title).
    case permanent

    public init(coverImage: CoverImage?, imageLookup: ImageLookup?) {
        if coverImage != nil {
            self = .found
        } else if let imageLookup {
            self = imageLookup.permanentFailure ? .permanent : .failed
        } else {
            self = .missing
        }
    }

    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
