import EnricherCore
import Enrichment
import Foundation
import Logging
import Synchronization
import Testing

/// Keeps every log line, to check what the registry says at start-up.
final class CapturedLogs: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])
    var all: [Line] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(logs: self) }
    }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.lines.withLock { $0.append(Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })) }
        }
    }
}

@Suite("Provider registry")
struct ProviderRegistryTests {
    static func allCredentials() -> ProviderSettings {
        var settings = ProviderSettings()
        settings[.googleBooksKey] = "secret-google"
        settings[.tmdbToken] = "secret-tmdb"
        settings[.giantBombKey] = "secret-giantbomb"
        settings[.igdbClientID] = "secret-igdb-id"
        settings[.igdbClientSecret] = "secret-igdb-secret"
        return settings
    }

    @Test("providers without credentials are disabled with the missing key named, and logged at notice")
    func missingCredentials() throws {
        let logs = CapturedLogs()
        let registry = ProviderRegistry(settings: ProviderSettings(), fetcher: LoopbackHTTP.shared, logger: logs.logger)
        #expect(Set(registry.enabled.keys) == [.openLibrary, .upcItemDB, .musicBrainz])
        let reasons = Dictionary(uniqueKeysWithValues: registry.status.map { ($0.id, $0.reason) })
        #expect(reasons[.googleBooks] == "ENRICHER_GOOGLEBOOKS_API_KEY is not set")
        #expect(reasons[.tmdb] == "ENRICHER_TMDB_TOKEN is not set")
        #expect(reasons[.giantBomb] == "ENRICHER_GIANTBOMB_API_KEY is not set")
        #expect(reasons[.igdb] == "ENRICHER_IGDB_CLIENT_ID and ENRICHER_IGDB_CLIENT_SECRET are not set")
        #expect(reasons[.openLibrary] == .some(nil))
        #expect(registry.status.map(\.id) == ProviderCatalog.all.ids.sorted())
        #expect(registry.status.first { $0.id == .upcItemDB }?.mediaTypes == [.books, .movies, .games, .musics])
        #expect(registry.status.first { $0.id == .tmdb }.map { !$0.enabled && $0.mediaTypes == [.movies] } == true)
        #expect(registry.productLookup != nil)

        let notices = logs.all.filter { $0.level == .notice }
        #expect(Set(notices.compactMap { $0.metadata["provider"] }) == ["googlebooks", "tmdb", "giantbomb", "igdb"])
        #expect(registry.providers(for: .games).map(\.id) == [.upcItemDB])
        #expect(registry.providers(for: .books).map(\.id) == [.openLibrary, .upcItemDB])
    }

    @Test("with every credential all seven run, and no secret reaches the log")
    func allEnabled() throws {
        let logs = CapturedLogs()
        let registry = ProviderRegistry(settings: Self.allCredentials(), fetcher: LoopbackHTTP.shared, logger: logs.logger)
        #expect(registry.enabled.count == ProviderCatalog.all.ids.count)
        #expect(registry.status.allSatisfy { $0.enabled && $0.reason == nil })
        #expect(!logs.all.contains { line in line.message.contains("secret") || line.metadata.values.contains { $0.contains("secret") } })
    }

    @Test("providers named in ENRICHER_PROVIDERS_DISABLED are off; without UPCitemdb there is no product lookup")
    func explicitlyDisabled() throws {
        let registry = ProviderRegistry(settings: Self.allCredentials(), fetcher: LoopbackHTTP.shared, logger: .quiet, disabled: [.upcItemDB, .tmdb])
        #expect(registry.enabled[.upcItemDB] == nil && registry.enabled[.tmdb] == nil)
        #expect(registry.status.first { $0.id == .tmdb }?.reason == "disabled by ENRICHER_PROVIDERS_DISABLED")
        #expect(registry.productLookup == nil)
    }

    @Test("the registry's product lookup is UPCitemdb's, made once per context")
    func productLookup() async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            let registry = ProviderRegistry(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet)
            let context = registry.makeContext()
            let product = try await context.product(barcode: "9780441018697")
            #expect(product.title == "The Lost Fleet: Victorious - by Jack Campbell (Paperback)")
            _ = try await context.product(barcode: "9780441018697")
            #expect(fake.requests.count == 1)
        }
    }
}
