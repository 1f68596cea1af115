import EnricherCore
import Foundation
import Logging
import Outbound

/// MusicBrainz release search (by barcode, or title and artist) with the Cover Art Archive for the
/// image. MusicBrainz allows 1 request per second, so releases are tried one at a time and the
/// first with front art ends the search.
public struct MusicBrainzProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .musicBrainz }
    static let maxReleases = 3

    private let baseURL: String
    private let archiveURL: String
    private let maxThumbnail: Int
    private let search: ProviderHTTP
    private let release: ProviderHTTP
    private let archive: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.musicBrainzURL]
        archiveURL = settings[.coverArtArchiveURL]
        maxThumbnail = Int(settings[.coverArtMaxThumbnail]) ?? 1200
        // MusicBrainz: 503 when over 1 req/s. A search's 404 is a wrong base URL; a release
        // lookup's 404 is a release that is gone.
        let throttleStatuses = ProviderDescriptor.musicBrainz.throttleStatuses
        search = ProviderHTTP(service: "MusicBrainz", fetcher: fetcher, throttleStatuses: throttleStatuses)
        release = ProviderHTTP(service: "MusicBrainz", fetcher: fetcher, throttleStatuses: throttleStatuses, notFoundStatuses: [404])
        // Cover Art Archive: 404 = no art, a normal answer.
        archive = ProviderHTTP(service: "Cover Art Archive", fetcher: fetcher, throttleStatuses: throttleStatuses, notFoundStatuses: [404])
        self.logger = logger.tagged(.musicBrainz)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        let found = try await releases(matching: query)
        for release in found.prefix(Self.maxReleases) {
            if let url = try await frontCover(release: release.id) {
                return [ImageCandidate(url: url, provider: id)]
            }
        }
        throw .notFound
    }

    /// Releases matching the query, best score first.
    private func releases(matching query: LookupQuery) async throws(ProviderFailure) -> [Release] {
        if let barcode = query.barcode {
            let exact = try await releases(lucene: "barcode:\(barcode)")
            if !exact.isEmpty { return exact }
            // MusicBrainz keeps a barcode as it was entered: a UPC-A may be stored as its EAN-13
            // (a leading 0) or the other way round.
            guard let other = Self.alternateBarcode(barcode) else { return [] }
            logger.debug("no release for the barcode; trying it with the leading zero changed")
            return try await releases(lucene: "barcode:\(other)")
        }
        guard let title = query.title, !title.isEmpty else { throw .notFound }
        var lucene = "release:\"\(Self.luceneEscape(title))\""
        if let artist = query.artist ?? query.authors.first, !artist.isEmpty {
            lucene += " AND artist:\"\(Self.luceneEscape(artist))\""
        }
        return try await releases(lucene: lucene)
    }

    private func releases(lucene: String) async throws(ProviderFailure) -> [Release] {
        let url = ProviderURL.make(baseURL, "/ws/2/release/", query: [("query", lucene), ("fmt", "json")])
        let result = try await search.get(SearchResult.self, url)
        return result.releases.enumerated().sorted { lhs, rhs in
            (lhs.element.relevance, -lhs.offset) > (rhs.element.relevance, -rhs.offset)
        }.map(\.element)
    }

    /// The front cover of a release, or nil when it has none.
    private func frontCover(release mbid: String) async throws(ProviderFailure) -> String? {
        let lookup: ReleaseLookup
        do {
            let url = ProviderURL.make(baseURL, "/ws/2/release/\(ProviderURL.segment(mbid))", query: [("fmt", "json")])
            lookup = try await release.get(ReleaseLookup.self, url)
        } catch .notFound {
            return nil
        }
        // The release says whether the archive has a front image: skip the archive when it has none.
        guard lookup.coverArtArchive?.front == true else { return nil }
        let listing: Listing
        do {
            listing = try await archive.get(Listing.self, ProviderURL.make(archiveURL, "/release/\(ProviderURL.segment(mbid))"))
        } catch .notFound {
            return nil
        }
        guard let front = listing.images.first(where: { $0.front == true }) ?? listing.images.first(where: { $0.types?.contains("Front") == true })
        else { return nil }
        return (Self.thumbnail(front.thumbnails ?? [:], max: maxThumbnail) ?? front.image).map(Self.secure)
    }

    /// The largest thumbnail not larger than `max` ("small" is 250, "large" 500, as the archive names them).
    static func thumbnail(_ thumbnails: [String: String], max: Int) -> String? {
        let sized = thumbnails.compactMap { key, url -> (Int, String)? in
            let size = Int(key) ?? (key == "small" ? 250 : key == "large" ? 500 : nil)
            return size.map { ($0, url) }
        }
        return sized.filter { $0.0 <= max }.max { ($0.0, $0.1) < ($1.0, $1.1) }?.1
    }

    /// The archive lists its own links as http; they are served over https too.
    static func secure(_ url: String) -> String {
        url.hasPrefix("http://coverartarchive.org/") ? "https://" + url.dropFirst("http://".count) : url
    }

    /// "0" added to a 12-digit UPC (its EAN-13 form) or dropped from a 13-digit code starting with 0.
    static func alternateBarcode(_ barcode: String) -> String? {
        if barcode.hasPrefix("0"), barcode.count > 8 { return String(barcode.dropFirst()) }
        if !barcode.hasPrefix("0"), barcode.count < 13 { return "0" + barcode }
        return nil
    }

    /// Escapes Lucene's phrase delimiters inside a quoted term.
    static func luceneEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// `GET /ws/2/release/?query=...&fmt=json`.
    struct SearchResult: Decodable {
        var releases: [Release]
    }

    struct Release: Decodable {
        var id: String
        /// 0 to 100.
        var score: ProviderNumber?
        var title: String?
        var barcode: String?

        /// The score, 0 when it is missing or outside 0...100.
        var relevance: Int { score?.within(0...100) ?? 0 }
    }

    /// `GET /ws/2/release/{mbid}?fmt=json`: `cover-art-archive.front` says whether there is front art.
    struct ReleaseLookup: Decodable {
        var id: String?
        var coverArtArchive: CoverArtFlags?
        enum CodingKeys: String, CodingKey {
            case id
            case coverArtArchive = "cover-art-archive"
        }
        struct CoverArtFlags: Decodable {
            var artwork: Bool?
            var front: Bool?
            var back: Bool?
            var count: ProviderNumber?
        }
    }

    /// `GET {coverArtArchive}/release/{mbid}`.
    struct Listing: Decodable {
        var images: [Image]
        struct Image: Decodable {
            var front: Bool?
            var types: [String]?
            var image: String?
            var thumbnails: [String: String]?
        }
    }
}

extension ProviderID {
    /// MusicBrainz release search, with the Cover Art Archive for the image.
    public static let musicBrainz = ProviderID(rawValue: "musicbrainz")
}

extension ConfigurationKey {
    public static let musicBrainzURL = ConfigurationKey("ENRICHER_MUSICBRAINZ_URL", "https://musicbrainz.org", "MusicBrainz WS/2 base URL.")
    public static let coverArtArchiveURL = ConfigurationKey("ENRICHER_COVERARTARCHIVE_URL", "https://coverartarchive.org", "Cover Art Archive base URL.")
    /// The largest Cover Art Archive thumbnail wanted; the original when none fits.
    public static let coverArtMaxThumbnail = ConfigurationKey("ENRICHER_COVERARTARCHIVE_MAX_THUMBNAIL", "1200",
        "Largest Cover Art Archive thumbnail wanted: 250, 500 or 1200.")
    public static let musicBrainzRate = rate("MusicBrainz (and the Cover Art Archive)", "MUSICBRAINZ", "1/s", "1 req/s per IP")
    public static let musicBrainzBurst = burst("MusicBrainz", "MUSICBRAINZ", "1")
}

extension ProviderDescriptor {
    /// Cover Art Archive images are served by archive.org, which answers 503 (or 429) to "slow down", as
    /// MusicBrainz does; its downloads count against MusicBrainz's budget.
    public static let musicBrainz = ProviderDescriptor(
        id: .musicBrainz, displayName: "MusicBrainz", mediaTypes: [.musics],
        settings: [
            .url(.musicBrainzURL), .url(.coverArtArchiveURL),
            .option(.coverArtMaxThumbnail) { ["250", "500", "1200"].contains($0) ? nil : "must be 250, 500 or 1200" },
        ],
        rate: .musicBrainzRate, burst: .musicBrainzBurst,
        documentedRateLimit: "1 req/s per IP, then 503",
        throttleStatuses: [503, 429],
        imageBudgets: [ImageBudget(budget: "musicbrainz", host: .coverArtArchiveURL, paths: ["/"])],
        make: { MusicBrainzProvider(settings: $0, fetcher: $1, logger: $2) })
}
