import EnricherCore
import Enrichment
import Foundation
import Logging
import Outbound

extension Logger {
    /// Drops everything: provider tests assert on answers and on what the fakes received.
    static let quiet = Logger(label: "provider-tests") { _ in SwiftLogNoOpLogHandler() }
}

/// The failure a lookup ended with, or nil when it returned candidates.
func providerFailure(_ body: () async throws(ProviderFailure) -> [ImageCandidate]) async -> ProviderFailure? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// The failure a provider's lookup ended with, or nil when it returned candidates.
func providerFailure(of provider: any CoverProvider, _ query: LookupQuery, _ context: LookupContext) async -> ProviderFailure? {
    do throws(ProviderFailure) {
        _ = try await provider.candidates(for: query, context: context)
        return nil
    } catch {
        return error
    }
}

extension ProviderFailure {
    func isConfiguration(prefix: String) -> Bool {
        if case .configuration(let detail) = self { detail.hasPrefix(prefix) } else { false }
    }

    func isTransient(prefix: String) -> Bool {
        if case .transient(let detail) = self { detail.hasPrefix(prefix) } else { false }
    }
}

/// Fetches a URL as the image downloader would; the status it answered.
func fetchImage(_ url: String, with fetcher: any HTTPFetching = LoopbackHTTP.shared) async throws -> OutboundResponse {
    try await fetcher.send(OutboundRequest(url: url))
}

/// One provider against its fake, with a query it can answer: the table the shared failure tests run over.
struct ProviderCase: Sendable, CustomStringConvertible {
    var kind: FakeProvider.Kind
    var query: LookupQuery
    var make: @Sendable (ProviderSettings, any HTTPFetching) -> any CoverProvider

    var description: String { kind.rawValue }

    /// Looks `query` up against `fake`, with a context whose product lookup is UPCitemdb's own
    /// (only the UPCitemdb case needs one).
    func lookup(_ fake: FakeProvider, fetcher: any HTTPFetching = LoopbackHTTP.shared) async throws(ProviderFailure) -> [ImageCandidate] {
        let provider = make(fake.settings, fetcher)
        let upc = UPCItemDBProvider(settings: fake.settings, fetcher: fetcher, logger: .quiet)
        let context = LookupContext { barcode async throws(ProviderFailure) -> Product in try await upc.product(barcode: barcode) }
        return try await provider.candidates(for: query, context: context)
    }

    static let all: [ProviderCase] = [
        ProviderCase(kind: .openLibrary, query: LookupQuery(mediaType: .books, title: "Slow reading", authors: ["John Miedema"])) {
            OpenLibraryProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .googleBooks, query: LookupQuery(mediaType: .books, isbn: "9781429952040")) {
            GoogleBooksProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .upcItemDB, query: LookupQuery(mediaType: .books, isbn: "9780441018697")) {
            UPCItemDBProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .tmdb, query: LookupQuery(mediaType: .movies, title: "The Matrix", year: 1999)) {
            TMDbProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .giantBomb, query: LookupQuery(mediaType: .games, title: "Elden Ring")) {
            GiantBombProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .igdb, query: LookupQuery(mediaType: .games, title: "The Witcher 3: Wild Hunt")) {
            IGDBProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
        ProviderCase(kind: .musicBrainz, query: LookupQuery(mediaType: .musics, barcode: "693723650725")) {
            MusicBrainzProvider(settings: $0, fetcher: $1, logger: .quiet)
        },
    ]
}
