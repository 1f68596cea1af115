import EnricherCore
import Foundation

/// What enriching one entity came to. The engine has already recorded it on the entity
/// (except `skipped` and `deferred`, which leave the entity as it was).
public enum EnrichmentOutcome: Sendable, Equatable {
    case found(CoverImage)
    case notFound(reason: String)
    case failed(reason: String)
    case permanent(reason: String)
    case skipped(reason: String)
    /// Every source that might have had it throttled; retry after `retryAfter` (when any provider said).
    case deferred(retryAfter: Duration?, reason: String)

    public var taskOutcome: TaskOutcome {
        switch self {
        case .found: .found
        case .notFound: .notFound
        case .failed: .failed
        case .permanent: .permanent
        case .skipped: .skipped
        case .deferred: .deferred
        }
    }

    /// The outcome in words: the failure reason, or where the cover came from.
    public var detail: String {
        switch self {
        case .found(let cover): "cover from \(cover.provider): \(cover.sourceUrl)"
        case .notFound(let reason), .failed(let reason), .permanent(let reason), .skipped(let reason), .deferred(_, let reason): reason
        }
    }
}
