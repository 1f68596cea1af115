/// Where an entity stands in enrichment; derived from its `coverImage`, the catalog's `existingCover`
/// and its `imageLookup`, in that order.
public enum EntityStatus: String, Sendable, Codable, CaseIterable {
    /// Not looked up yet.
    case missing
    /// Has a cover.
    case found
    /// Looked up without success; due again on the retry schedule (`imageLookup.retryAt`), and a forced
    /// run may try again at any time.
    case failed
    /// Can never succeed (no identifier and no title) until what a lookup depends on changes.
    case permanent
    /// The catalog has its own cover (`existingCover`): never looked up unless a job forces it.
    case present

    public init(coverImage: CoverImage?, existingCover: Bool, imageLookup: ImageLookup?) {
        if coverImage != nil {
            self = .found
        } else if existingCover {
            self = .present
        } else if let imageLookup {
            self = imageLookup.permanentFailure ? .permanent : .failed
        } else {
            self = .missing
        }
    }

    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
