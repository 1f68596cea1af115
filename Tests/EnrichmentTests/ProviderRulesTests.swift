import Testing
@testable import Enrichment

/// Pure rules of individual providers: URL rewrites, size choices, escapes.
@Suite("Provider rules")
struct ProviderRulesTests {
    @Test("Google thumbnails: https on Google's hosts, edge=curl dropped, the rest kept")
    func googleThumbnail() {
        #expect(GoogleBooksProvider.coverURL("http://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&edge=curl&source=gbs_api")
            == "https://books.google.com/books/content?id=QCPBDwAAQBAJ&printsec=frontcover&img=1&zoom=1&source=gbs_api")
        #expect(GoogleBooksProvider.coverURL("http://127.0.0.1:8080/books/content?id=X&edge=curl") == "http://127.0.0.1:8080/books/content?id=X")
        #expect(GoogleBooksProvider.coverURL("https://books.google.com/books/content?edge=curl") == "https://books.google.com/books/content")
    }

    @Test("IGDB covers: protocol-relative made https, thumb size made cover_big", arguments: [
        ("//images.igdb.com/igdb/image/upload/t_thumb/co1wyy.jpg", "https://images.igdb.com/igdb/image/upload/t_cover_big/co1wyy.jpg"),
        ("http://127.0.0.1:9/img/t_thumb/co1.jpg", "http://127.0.0.1:9/img/t_cover_big/co1.jpg"),
        ("https://images.igdb.com/igdb/image/upload/t_720p/co1.jpg", "https://images.igdb.com/igdb/image/upload/t_720p/co1.jpg"),
    ])
    func igdbCover(_ url: String, _ expected: String) {
        #expect(IGDBProvider.coverURL(url) == expected)
    }

    @Test("IGDB search strings escape quotes and backslashes")
    func igdbEscape() {
        #expect(IGDBProvider.escape(#"Say "Hi" \o/"#) == #"Say \"Hi\" \\o/"#)
    }

    static let thumbnails = [
        "1200": "t-1200", "250": "t-250", "500": "t-500", "large": "t-500", "small": "t-250",
    ]

    @Test("Cover Art Archive: the largest thumbnail within the maximum", arguments: [
        (1200, "t-1200"), (1000, "t-500"), (500, "t-500"), (250, "t-250"),
    ])
    func thumbnail(max: Int, expected: String) {
        #expect(MusicBrainzProvider.thumbnail(Self.thumbnails, max: max) == expected)
    }

    @Test("Cover Art Archive: old listings name sizes small and large; nothing fits -> none")
    func namedThumbnails() {
        #expect(MusicBrainzProvider.thumbnail(["small": "s", "large": "l"], max: 1200) == "l")
        #expect(MusicBrainzProvider.thumbnail(["small": "s", "large": "l"], max: 100) == nil)
    }

    @Test("the archive's own http links become https; others stay")
    func secure() {
        #expect(MusicBrainzProvider.secure("http://coverartarchive.org/release/x/1-500.jpg") == "https://coverartarchive.org/release/x/1-500.jpg")
        #expect(MusicBrainzProvider.secure("http://127.0.0.1:5/img/x.jpg") == "http://127.0.0.1:5/img/x.jpg")
    }

    @Test("barcodes are retried with the leading zero changed", arguments: [
        ("0693723650725", "693723650725"), ("693723650725", "0693723650725"), ("12345670", "012345670"), ("5012345678900", nil),
    ] as [(String, String?)])
    func alternateBarcode(_ barcode: String, _ expected: String?) {
        #expect(MusicBrainzProvider.alternateBarcode(barcode) == expected)
    }

    @Test("Lucene phrases escape quotes and backslashes")
    func lucene() {
        #expect(MusicBrainzProvider.luceneEscape(#"12" \ Vinyl"#) == #"12\" \\ Vinyl"#)
    }

    @Test("a Twitch token is used until 60 s before it expires")
    func tokenLifetime() {
        let start = ContinuousClock.now
        let token = TwitchToken(accessToken: "t", expiresIn: 3600, obtainedAt: start)
        #expect(token.isUsable(at: start + .seconds(3539)))
        #expect(!token.isUsable(at: start + .seconds(3540)))
        #expect(!TwitchToken(accessToken: "t", expiresIn: 30, obtainedAt: start).isUsable(at: start))
    }

    @Test("a descriptor names the missing credentials")
    func missingCredentials() {
        var settings = ProviderSettings()
        #expect(ProviderDescriptor.openLibrary.missingCredentials(settings) == nil)
        #expect(ProviderDescriptor.googleBooks.missingCredentials(settings) == "ENRICHER_GOOGLEBOOKS_API_KEY is not set")
        #expect(ProviderDescriptor.igdb.missingCredentials(settings) == "ENRICHER_IGDB_CLIENT_ID and ENRICHER_IGDB_CLIENT_SECRET are not set")
        settings[.igdbClientID] = "id"
        settings[.tmdbToken] = ""
        #expect(ProviderDescriptor.igdb.missingCredentials(settings) == "ENRICHER_IGDB_CLIENT_SECRET is not set")
        #expect(ProviderDescriptor.tmdb.missingCredentials(settings) == "ENRICHER_TMDB_TOKEN is not set")
    }
}
