import BSON
import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// Limits judged where the provider judges them: at the fakes, which count arrivals in windows as the
/// real services do and answer past their documented limits with the real throttle, while one or three
/// instances share one database.
@Suite("Provider limits held at the provider", .serialized)
struct ProviderLimitsTests {
    static let musicBarcode = Identifiers.ean13(40_000)

    /// The documented limits (../shared/providers/README.md), enforced by the fakes.
    static let limits: [(FakeProvider.Kind, FakeLimit, String)] = [
        (.musicBrainz, FakeLimit(services: [.musicBrainz], count: 1, window: .seconds(1)), "MusicBrainz: 1 per second"),
        (.openLibrary, FakeLimit(services: [.openLibrary], count: 1, window: .seconds(1)), "Open Library API: 1 per second"),
        (.openLibrary, FakeLimit(services: [.openLibraryCovers], pathPrefix: "/b/isbn/", count: 100, window: .seconds(300)),
         "Open Library covers by ISBN: 100 per 5 minutes"),
        (.upcItemDB, FakeLimit(services: [.upcItemDB], count: 6, window: .seconds(60)), "UPCitemdb trial: 6 per minute"),
        (.tmdb, FakeLimit(services: [.tmdb], count: 40, window: .seconds(1)), "TMDb: 40 per second"),
    ]

    static func settings(_ world: FakeWorld, database: String) -> [String: String] {
        world.environment.merging([
            "ENRICHER_DATABASE": database,
            ConfigurationKey.musicBrainzRate.name: "1/s", ConfigurationKey.openLibraryRate.name: "1/s",
            ConfigurationKey.openLibraryCoversRate.name: "100/5min", ConfigurationKey.upcItemDBRate.name: "6/min",
            ConfigurationKey.tmdbRate.name: "40/s",
            ConfigurationKey.chainBooks.name: "openlibrary", ConfigurationKey.chainMovies.name: "tmdb",
            ConfigurationKey.chainMusics.name: "musicbrainz",
            ConfigurationKey.providersDisabled.name: "googlebooks,giantbomb,igdb",
            ConfigurationKey.logLevel.name: "error",
        ]) { $1 }
    }

    /// `count` real `enricher serve` processes on one database, as separate instances would be.
    static func withInstances<T>(_ count: Int, _ settings: [String: String], _ body: ([ServeProcess]) async throws -> T) async throws -> T {
        var environment = settings
        environment["MONGODB_URI"] = try TestDatabase.uri()
        environment["ENRICHER_API_KEYS"] = TestService.apiKey
        environment["ENRICHER_SCAN_SCHEDULE"] = "off"
        var processes: [ServeProcess] = []
        defer { processes.forEach { $0.cleanUp() } }
        for _ in 0..<count {
            let process = try ServeProcess(environment: environment)
            processes.append(process)
            try await process.waitUntilReady()
        }
        let result = try await body(processes)
        try await TestDatabase.drop(settings["ENRICHER_DATABASE"] ?? "")
        return result
    }

    @Test("one and three instances on one database: no provider's documented window is ever exceeded at its side, nothing deferred",
          arguments: [1, 3])
    func limitsHeld(instances: Int) async throws {
        try await FakeWorld.with { world in
            world[.musicBrainz].options.storedBarcode = Self.musicBarcode
            // Books API without a cover: each book falls back to the Covers API by ISBN (the limited one).
            world[.openLibrary].setScenario(.miss, for: .openLibrary)
            for (kind, limit, _) in Self.limits { world[kind].enforce(limit) }
            var entities: [[String: Any]] = []
            for index in 0..<8 {
                entities.append(["mediaType": "musics", "id": "a\(index)", "barcode": Self.musicBarcode, "title": "Album \(index)", "artist": "Artist"])
                entities.append(["mediaType": "books", "id": "b\(index)", "isbn": Identifiers.isbn13(10_000 + index)])
            }
            for index in 0..<3 {
                // No title: TMDb needs UPCitemdb's, 6 a minute.
                entities.append(["mediaType": "movies", "id": "u\(index)", "barcode": Identifiers.upcA(20_000 + index)])
            }
            for index in 0..<150 {
                entities.append(["mediaType": "movies", "id": "m\(index)", "barcode": Identifiers.upcA(21_000 + index), "title": "The Matrix"])
            }
            let database = TestDatabase.uniqueName("limits")
            try await Self.withInstances(instances, Self.settings(world, database: database)) { processes in
                let client = processes[0].client
                let stored = try await client.post("/v1/entities/batch", ["entities": entities])
                try #require(stored.status == 200, "\(stored.text.prefix(500))")
                let items = entities.map { ["mediaType": $0["mediaType"]!, "id": $0["id"]!] }
                let queued = try await client.post("/v1/enrichments", ["entities": items])
                let job = try #require(try queued.json["id"] as? String, "\(queued.text.prefix(300))")
                try await waitUntil(deadline: .seconds(180), interval: .milliseconds(500)) {
                    try await client.get("/v1/enrichments/\(job)").json["status"] as? String == "completed"
                }
                let final = try await client.get("/v1/enrichments/\(job)?limit=500").json
                let counts = final["counts"] as? [String: Int] ?? [:]
                #expect(counts["deferred"] == 0, "deferred without the provider refusing: \(counts)")
                let missed = (final["items"] as? [[String: Any]] ?? []).filter { $0["outcome"] as? String != "found" }.prefix(5)
                #expect(counts["found"] == entities.count, "\(counts); for example \(missed)")
            }
            let arrivals = world.fakes.values.reduce(0) { $0 + $1.requests.count }
            #expect(arrivals >= 300, "only \(arrivals) calls reached the fakes")
            for (kind, limit, name) in Self.limits {
                let worst = limit.worst(in: world[kind].requests)
                #expect(worst.most <= limit.count, "\(name): \(worst.most) arrivals in one window, with \(instances) instance(s)")
            }
            let closest = FakeLimit(services: [.musicBrainz], count: 1, window: .seconds(1)).worst(in: world[.musicBrainz].requests).closest
            #expect(closest.map { $0 >= .seconds(1) } ?? true, "two MusicBrainz calls \(String(describing: closest)) apart")
            for fake in world.fakes.values {
                #expect(fake.refusedForRate == 0, "\(fake.kind) answered \(fake.refusedForRate) requests with its throttle")
            }
        }
    }

    @Test("a book whose only provider's budget is nearly spent waits for it and is found, never deferred")
    func waitingIsNotAThrottle() async throws {
        try await FakeWorld.with { world in
            world[.upcItemDB].enforce(FakeLimit(services: [.upcItemDB], count: 6, window: .seconds(60)))
            let database = TestDatabase.uniqueName("spent")
            var settings = world.environment.merging([
                "ENRICHER_DATABASE": database,
                ConfigurationKey.upcItemDBRate.name: "6/min",
                ConfigurationKey.chainBooks.name: "upcitemdb",
                ConfigurationKey.providersDisabled.name: "googlebooks,giantbomb,igdb",
                ConfigurationKey.logLevel.name: "error",
            ]) { $1 }
            // A short call time: the old limiter gave up waiting for a slot after it and called that a throttle.
            settings[ConfigurationKey.providerTimeout.name] = "2"
            try await TestService.with(settings) { service in
                // Another instance has already spent the next 12 s of UPCitemdb's budget.
                let spentUntil = Int64((Date().timeIntervalSince1970 + 12) * 1000)
                try await service.database.collection(ProviderBudget.collectionName).insertOne(
                    ["_id": "upcitemdb@shared", "tat": .int64(spentUntil), "pausedUntil": .int64(0)])
                let started = Date()
                let job = try await service.enrich([
                    (.books, "w1", ["isbn": "978-0-441-01359-3"]),
                    (.books, "w2", ["isbn": Identifiers.isbn13(10_001)]),
                ])
                let final = try await service.waitForJob(job, deadline: .seconds(90))
                let counts = final["counts"] as? [String: Int] ?? [:]
                #expect(counts["deferred"] == 0 && counts["found"] == 2, "\(counts)")
                #expect(Date().timeIntervalSince(started) >= 11.5, "UPCitemdb was called before the budget allowed")
            }
            #expect(world[.upcItemDB].refusedForRate == 0)
        }
    }
}
