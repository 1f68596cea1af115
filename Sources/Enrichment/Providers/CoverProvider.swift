import EnricherCore
import Foundation

/// A provider's name: what configuration, logs, `failureReason` and `GET /v1/providers` call it. Each
/// provider declares its own beside its code (`ProviderID.openLibrary` in `OpenLibraryProvider.swift`);
/// `ProviderCatalog.all` says which there are.
public struct ProviderID: RawRepresentable, Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: ProviderID, rhs: ProviderID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}

/// What an entity offers a provider to search with.
public struct LookupQuery: Sendable, Equatable {
    public var mediaType: MediaType
    /// Normalised ISBN-13 (books).
    public var isbn: String?
    /// Normalised UPC/EAN digits (movies, games, musics).
    public var barcode: String?
    public var title: String?
    public var authors: [String]
    public var artist: String?
    public var platform: String?
    public var year: Int?

    public init(mediaType: MediaType, isbn: String? = nil, barcode: String? = nil, title: String? = nil,
                authors: [String] = [], artist: String? = nil, platform: String? = nil, year: Int? = nil) {
        self.mediaType = mediaType
        self.isbn = isbn
        self.barcode = barcode
        self.title = title
        self.authors = authors
        self.artist = artist
        self.platform = platform
        self.year = year
    }

    /// The entity's identifier (ISBN for books, barcode otherwise), if it has one.
    public var identifier: String? { isbn ?? barcode }
}

/// An image a provider points at. Nothing is downloaded yet.
public struct ImageCandidate: Sendable, Equatable {
    public var url: String
    public var provider: ProviderID
    /// Dimensions when the provider states them (used to rank candidates in `best` mode).
    public var width: Int?
    public var height: Int?

    public init(url: String, provider: ProviderID, width: Int? = nil, height: Int? = nil) {
        self.url = url
        self.provider = provider
        self.width = width
        self.height = height
    }
}

/// How a provider call went wrong, classified the way resilience needs it.
public enum ProviderFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A normal answer: the provider has nothing for this query. Never counts against its health.
    case notFound
    /// "Slow down" (the status the provider uses for it), with the wait it asked for, if any.
    case throttled(retryAfter: Duration?)
    /// Timeout, 5xx, connection failure, malformed answer: may work later.
    case transient(String)
    /// Bad or missing credentials, or a configuration the provider refuses: will not work until fixed.
    case configuration(String)
    /// The provider's circuit breaker is open after repeated failures: it is skipped until a probe is due.
    case circuitOpen(retryAfter: Duration)
    /// The source of the title this provider searches by (UPCitemdb, for TMDb, GiantBomb and IGDB) failed,
    /// so this provider was not asked. The failure is that source's, counted against its own breaker,
    /// never against this provider's.
    case titleSourceUnavailable(String)
    /// Our side failed (our database, our HTTP client's queue, a shutdown): it says nothing of the
    /// provider or the entity. The lookup is put back to be done again; nothing is recorded.
    case interrupted(String)

    public var description: String {
        switch self {
        case .notFound: "not found"
        case .throttled(let retryAfter):
            if let retryAfter { "throttled (retry after \(retryAfter.components.seconds) s)" } else { "throttled" }
        case .transient(let detail): detail
        case .configuration(let detail): "configuration: \(detail)"
        case .circuitOpen(let wait): "skipped: failing repeatedly, next try in \(max(1, wait.components.seconds)) s"
        case .titleSourceUnavailable(let detail): detail
        case .interrupted(let detail): "interrupted: \(detail)"
        }
    }
}

/// One cover-art source. A provider turns a query into image candidates; downloading and
/// validating them is the engine's job, so every provider is judged by the same rules.
public protocol CoverProvider: Sendable {
    /// What Enricher knows of the provider: its name, media types, settings, limits, statuses.
    var descriptor: ProviderDescriptor { get }
    /// Looks the entity up. An empty result is never returned: "nothing" is `ProviderFailure.notFound`.
    func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate]
}

extension CoverProvider {
    public var id: ProviderID { descriptor.id }

    /// The media types this provider can serve.
    public var mediaTypes: Set<MediaType> { descriptor.mediaTypes }

    /// How the provider's image host answers "slow down" (for example Open Library covers: 403).
    /// A candidate download with one of these statuses is a throttle, not a broken image.
    public var imageThrottleStatuses: Set<Int> { descriptor.imageThrottleStatuses }
}
