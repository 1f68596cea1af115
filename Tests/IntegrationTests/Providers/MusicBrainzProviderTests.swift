import EnricherCore
import Enrichment
import Foundation
import Testing

@Suite("MusicBrainz and the Cover Art Archive against their fake")
struct MusicBrainzProviderTests {
    static let mbid = "7e2cd751-d89e-4449-a55f-a257fb5ab522"
    /// The listing fixture's image, as the fake serves it.
    static let imagePath = "/release/73d5bede-e281-4e08-b00e-d81dcae2e75c/30688716524"

    static func lookup(_ settings: ProviderSettings, _ query: LookupQuery = LookupQuery(mediaType: .musics, barcode: "693723650725"))
        async throws(ProviderFailure) -> [ImageCandidate] {
        try await MusicBrainzProvider(settings: settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            .candidates(for: query, context: LookupContext(productLookup: nil))
    }

    @Test("by barcode: search, release lookup, archive listing, the 1200 thumbnail")
    func byBarcode() async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == [fake.imageURL(host: "coverartarchive.org", path: "\(Self.imagePath)-1200.jpg")])
            let requests = fake.requests
            #expect(requests.map(\.path) == ["/ws/2/release/", "/ws/2/release/\(Self.mbid)", "/release/\(Self.mbid)"])
            #expect(requests[0].query == ["query": "barcode:693723650725", "fmt": "json"])
            #expect(requests[1].query == ["fmt": "json"])
            #expect(requests.allSatisfy { $0.header("User-Agent") == LoopbackHTTP.userAgent })
            #expect(requests.allSatisfy { $0.header("Accept") == "application/json" })
        }
    }

    @Test("a barcode stored without its leading zero is found on the second try", arguments: [
        ("0693723650725", "693723650725"), ("693723650725", "0693723650725"),
    ])
    func leadingZero(asked: String, stored: String) async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            fake.options.storedBarcode = stored
            let candidates = try await Self.lookup(fake.settings, LookupQuery(mediaType: .musics, barcode: asked))
            #expect(candidates.count == 1)
            #expect(fake.requests(to: .musicBrainz).prefix(2).map { $0.query["query"] } == ["barcode:\(asked)", "barcode:\(stored)"])
        }
    }

    @Test("a release without front art is not asked of the archive")
    func noFrontArt() async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            fake.options.coverArtFront = false
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .notFound)
            #expect(fake.requests(to: .musicBrainz).count == 2)
            #expect(fake.requests(to: .coverArtArchive).isEmpty)
        }
    }

    @Test("the largest thumbnail within ENRICHER_COVERARTARCHIVE_MAX_THUMBNAIL, else the original", arguments: [
        (1200, "-1200.jpg"), (500, "-500.jpg"), (250, "-250.jpg"), (100, ".jpg"),
    ])
    func thumbnailChoice(max: Int, suffix: String) async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            var settings = fake.settings
            settings[.coverArtMaxThumbnail] = String(max)
            let candidates = try await Self.lookup(settings)
            #expect(candidates.map(\.url) == [fake.imageURL(host: "coverartarchive.org", path: "\(Self.imagePath)\(suffix)")])
        }
    }

    @Test("the archive's own http links are asked over https")
    func archiveLinks() async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            fake.options.rewriteImageURLs = false
            let candidates = try await Self.lookup(fake.settings)
            #expect(candidates.map(\.url) == ["https://coverartarchive.org\(Self.imagePath)-1200.jpg"])
        }
    }

    @Test("no art in the archive (404) is not found; the archive throttling (503) is a throttle")
    func archiveAnswers() async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            fake.setScenario(.miss, for: .coverArtArchive)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .notFound)
            fake.setScenario(.throttle(retryAfter: "2"), for: .coverArtArchive)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .throttled(retryAfter: .seconds(2)))
            fake.setScenario(.serverError, for: .coverArtArchive)
            #expect(await providerFailure { () async throws(ProviderFailure) in try await Self.lookup(fake.settings) } == .transient("HTTP 502"))
        }
    }

    @Test("by title and artist: a Lucene query with the phrases quoted and escaped")
    func byTitle() async throws {
        try await FakeProvider.with(.musicBrainz) { fake in
            let query = LookupQuery(mediaType: .musics, title: #"Dragon "chaser""#, artist: "At Vance")
            _ = try await Self.lookup(fake.settings, query)
            #expect(fake.requests.first?.query["query"] == #"release:"Dragon \"chaser\"" AND artist:"At Vance""#)
        }
    }
}
