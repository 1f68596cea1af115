import Foundation

/// Where each provider lives and how to authenticate with it. Defaults are the real services;
/// every base URL is configurable so tests (or a mirror) can point anywhere. Base URLs carry no
/// trailing slash. A provider whose credentials are missing is disabled (see `ProviderRegistry`).
public struct ProviderSettings: Sendable, Equatable {
    public var openLibraryURL = "https://openlibrary.org"
    public var openLibraryCoversURL = "https://covers.openlibrary.org"
    public var googleBooksURL = "https://www.googleapis.com"
    public var googleBooksAPIKey: String?
    public var upcItemDBURL = "https://api.upcitemdb.com"
    /// Paid plan key: with it the `/prod/v1/lookup` endpoint and the `user_key` header are used.
    public var upcItemDBUserKey: String?
    public var tmdbURL = "https://api.themoviedb.org"
    public var tmdbImageURL = "https://image.tmdb.org/t/p"
    /// TMDb v4 read access token, sent as `Authorization: Bearer`.
    public var tmdbToken: String?
    /// Poster size segment of TMDb image URLs (`w500`, `w780`, `original`).
    public var tmdbPosterSize = "original"
    public var giantBombURL = "https://www.giantbomb.com"
    public var giantBombAPIKey: String?
    public var igdbURL = "https://api.igdb.com"
    public var twitchTokenURL = "https://id.twitch.tv"
    public var igdbClientID: String?
    public var igdbClientSecret: String?
    public var musicBrainzURL = "https://musicbrainz.org"
    public var coverArtArchiveURL = "https://coverartarchive.org"
    /// The largest Cover Art Archive thumbnail wanted (250, 500 or 1200); the original when none fits.
    public var coverArtMaxThumbnail = 1200

    public init() {}
}
