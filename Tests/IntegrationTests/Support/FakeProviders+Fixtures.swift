import Enrichment
import Foundation

extension FakeProvider {
    /// The credentials every fake accepts; `configure` puts them into the settings.
    enum Credentials {
        static let googleBooksAPIKey = "fake-google-books-key"
        static let upcItemDBUserKey = "fake-upcitemdb-user-key"
        static let tmdbToken = "fake-tmdb-read-token"
        static let giantBombAPIKey = "fake-giantbomb-key"
        static let igdbClientID = "fake-igdb-client-id"
        static let igdbClientSecret = "fake-igdb-client-secret"
    }

    /// Points the settings of this fake's provider at it, with credentials it accepts.
    func configure(_ settings: inout ProviderSettings) {
        switch kind {
        case .openLibrary:
            settings[.openLibraryURL] = baseURL
            settings[.openLibraryCoversURL] = baseURL
        case .googleBooks:
            settings[.googleBooksURL] = baseURL
            settings[.googleBooksKey] = Credentials.googleBooksAPIKey
        case .upcItemDB:
            settings[.upcItemDBURL] = baseURL
        case .tmdb:
            settings[.tmdbURL] = baseURL
            settings[.tmdbImageURL] = imageURL(host: "image.tmdb.org", path: "/t/p")
            settings[.tmdbToken] = Credentials.tmdbToken
        case .giantBomb:
            settings[.giantBombURL] = baseURL
            settings[.giantBombKey] = Credentials.giantBombAPIKey
        case .igdb:
            settings[.igdbURL] = baseURL
            settings[.twitchTokenURL] = baseURL
            settings[.igdbClientID] = Credentials.igdbClientID
            settings[.igdbClientSecret] = Credentials.igdbClientSecret
        case .musicBrainz:
            settings[.musicBrainzURL] = baseURL
            settings[.coverArtArchiveURL] = baseURL
        }
    }

    /// Default settings with this fake's provider pointed at it.
    var settings: ProviderSettings {
        var settings = ProviderSettings()
        configure(&settings)
        return settings
    }

    /// A fixture from `Tests/Fixtures/providers`, with the image hosts it names rewritten to this
    /// fake (unless `options.rewriteImageURLs` is off).
    func fixture(_ name: String) -> String {
        let text = Self.fixtureText(name)
        guard options.rewriteImageURLs else { return text }
        return rewriteImageURLs(text)
    }

    static func fixtureText(_ name: String) -> String {
        let url = fixturesDirectory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            // Loud: a missing fixture is a broken checkout, not a provider failure to test.
            fatalError("fixture \(url.path) is missing")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `Tests/Fixtures/providers`, found from this file (`Tests/IntegrationTests/Support/`).
    static let fixturesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/providers")

    /// Real image hosts named in the fixtures.
    static let imageHosts = [
        "books.google.com", "image.tmdb.org", "www.giantbomb.com", "images.igdb.com", "coverartarchive.org",
        "covers2.booksamillion.com", "images.BetterWorldBooks.com",
    ]

    private func rewriteImageURLs(_ text: String) -> String {
        // Open Library's covers host is the fake itself (its throttling is part of what is faked).
        var text = text.replacingOccurrences(of: "https://covers.openlibrary.org/", with: "\(baseURL)/")
        for host in Self.imageHosts {
            for prefix in ["https://", "http://", "//"] {
                text = text.replacingOccurrences(of: "\(prefix)\(host)/", with: "\(baseURL)/img/\(host)/")
            }
        }
        return text
    }
}
