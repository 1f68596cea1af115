import EnricherCore
import Foundation
import Testing

/// The `scripts/bench limits` driver, kept with the tests because it runs the real service against the
/// fake providers. It runs only when `ENRICHER_BENCH=limits` and writes its report to `BENCH_OUTPUT`.
///
/// Four providers, each limited to 5 requests a second (burst 1), one per media type; 200 entities, 50
/// of each type. The time the limits allow is what the busiest provider's requests need at 5/s, counted
/// at the fakes. The catalog's own design (MediaSet's background lookup) takes one entity at a time and
/// waits one fixed delay after each, long enough for the most requests an entity makes; it is run here
/// too, against the same fakes and limits, on a sample of the entities.
@Suite("Benchmark: provider limits", .serialized)
struct LimitsBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["ENRICHER_BENCH"] == "limits"
    static let rate = 5.0
    /// What each provider limits, by media type: its API, and for MusicBrainz the Cover Art Archive too,
    /// its listings and its images (requests to coverartarchive.org before the redirect).
    static let providers: [(mediaType: MediaType, kind: FakeProvider.Kind, name: String, limit: FakeLimit)] = [
        (.books, .openLibrary, "openlibrary", FakeLimit(services: [.openLibrary], count: Int(rate), window: .seconds(1))),
        (.movies, .tmdb, "tmdb", FakeLimit(services: [.tmdb], count: Int(rate), window: .seconds(1))),
        (.games, .giantBomb, "giantbomb", FakeLimit(services: [.giantBomb], count: Int(rate), window: .seconds(1))),
        (.musics, .musicBrainz, "musicbrainz",
         FakeLimit(services: [.musicBrainz, .coverArtArchive], imageHost: "coverartarchive.org", count: Int(rate), window: .seconds(1))),
    ]

    /// Every album has the barcode the fake MusicBrainz knows (its fixture's own has a wrong check digit).
    static let musicBarcode = Identifiers.ean13(40_000)

    static func settings(_ world: FakeWorld, workers: Int) -> [String: String] {
        world[.musicBrainz].options.storedBarcode = musicBarcode
        return world.environment.merging([
            ConfigurationKey.openLibraryRate.name: "5/s", ConfigurationKey.tmdbRate.name: "5/s",
            ConfigurationKey.giantBombRate.name: "5/s", ConfigurationKey.musicBrainzRate.name: "5/s",
            ConfigurationKey.chainBooks.name: "openlibrary", ConfigurationKey.chainMovies.name: "tmdb",
            ConfigurationKey.chainGames.name: "giantbomb", ConfigurationKey.chainMusics.name: "musicbrainz",
            ConfigurationKey.providersDisabled.name: "googlebooks,upcitemdb,igdb",
            ConfigurationKey.workers.name: "\(workers)",
            ConfigurationKey.logLevel.name: "error",
        ]) { $1 }.merging(environment.filter { $0.key == ConfigurationKey.rateMarginPercent.name }) { $1 }
    }

    static func entities(count: Int) -> [[String: Any]] {
        var entities: [[String: Any]] = []
        for index in 0..<count / 4 {
            entities.append(["mediaType": "books", "id": "b\(index)", "isbn": Identifiers.isbn13(10_000 + index), "title": "Book \(index)"])
            entities.append(["mediaType": "movies", "id": "m\(index)", "barcode": Identifiers.upcA(20_000 + index), "title": "The Matrix"])
            entities.append(["mediaType": "games", "id": "g\(index)", "barcode": Identifiers.upcA(30_000 + index, prefix: 8), "title": "Elden Ring", "platform": "PC"])
            entities.append(["mediaType": "musics", "id": "a\(index)", "barcode": Self.musicBarcode, "title": "Album \(index)", "artist": "Artist"])
        }
        return entities
    }

    /// Guarded API requests each provider received.
    static func requests(_ world: FakeWorld) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: providers.map { provider in
            (provider.name, world[provider.kind].requests.filter(provider.limit.counts).count)
        })
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Where a run's time went, at its busiest provider (the one whose limit bounds the run): until its
    /// first request, the spacing its limit and our margin impose, slots left unused (gaps longer than
    /// the spacing: no request ready, or one that woke too late for its slot and took another), and after
    /// its last request until the job was seen complete.
    static func timeSpent(_ world: FakeWorld, from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> [String] {
        let busiest = providers.max { a, b in
            world[a.kind].requests.filter(a.limit.counts).count < world[b.kind].requests.filter(b.limit.counts).count
        }!
        let times = world[busiest.kind].requests.filter(busiest.limit.counts).map(\.time).sorted()
        guard let first = times.first, let last = times.last else { return [] }
        let margin = Double(environment[ConfigurationKey.rateMarginPercent.name] ?? "") ?? 3
        let spacing = 1 / rate * (1 + margin / 100)
        let gaps = zip(times, times.dropFirst()).map { seconds($1 - $0) }
        let unused = gaps.map { max(0, $0 - spacing) }
        let long = gaps.filter { $0 > spacing * 1.5 }
        return [
            String(format: "%@: %d requests; %.2f s before the first, %.2f s of spacing (%.0f ms each, %.0f %% margin), %.2f s of unused slots (%d gaps over 1.5x the spacing, longest %.2f s), %.2f s after the last",
                   busiest.name as NSString, times.count, seconds(first - start), Double(gaps.count) * spacing, spacing * 1000, margin,
                   unused.reduce(0, +), long.count, gaps.max() ?? 0, seconds(end - last)),
        ]
    }

    @Test("200 entities over four providers limited to 5/s: time taken against the time the limits allow", .enabled(if: enabled))
    func limits() async throws {
        let count = Int(Self.environment["BENCH_ENTITIES"] ?? "") ?? 200
        let sample = Int(Self.environment["BENCH_CATALOG_ENTITIES"] ?? "") ?? 40
        let entities = Self.entities(count: count)
        var report: [String] = []

        // Enricher: one job over every entity, on one and on three instances sharing the database, workers
        // enough to keep all four providers busy; the fakes count any window of 1 s holding more than 5.
        var runs: [(instances: Int, seconds: Double, perProvider: [String: Int], violations: Int, spent: [String])] = []
        for instances in [1, 3] {
            let run = try await FakeWorld.with { world in
                for provider in Self.providers {
                    world[provider.kind].enforce(provider.limit)
                }
                var settings = Self.settings(world, workers: 8)
                settings["ENRICHER_DATABASE"] = TestDatabase.uniqueName("bench")
                let (start, end) = try await ProviderLimitsTests.withInstances(instances, settings) { processes in
                    let client = processes[0].client
                    let stored = try await client.post("/v1/entities/batch", ["entities": entities])
                    try #require(stored.status == 200 && (try stored.json["created"] as? Int) == count, "\(stored.text.prefix(800))")
                    let start = ContinuousClock.now
                    let startDate = Date()
                    let items = entities.map { ["mediaType": $0["mediaType"]!, "id": $0["id"]!] }
                    let job = try #require(try await client.post("/v1/enrichments", ["entities": items]).json["id"] as? String)
                    try await waitUntil(deadline: .seconds(600), interval: .milliseconds(200)) {
                        try await client.get("/v1/enrichments/\(job)").json["status"] as? String == "completed"
                    }
                    let final = try await client.get("/v1/enrichments/\(job)").json
                    let counts = final["counts"] as? [String: Int] ?? [:]
                    try #require(counts["found"] == count, "every entity should be found: \(counts)")
                    // The end is the job's own completedAt, not when this loop saw it (up to a poll later).
                    let completedAt = try #require((final["completedAt"] as? String).flatMap { try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) })
                    return (start, start + .milliseconds(Int64(completedAt.timeIntervalSince(startDate) * 1000)))
                }
                let violations = Self.providers.reduce(0) { $0 + world[$1.kind].refusedForRate }
                return (instances, Self.seconds(end - start), Self.requests(world), violations, Self.timeSpent(world, from: start, to: end))
            }
            runs.append(run)
        }
        let perProvider = runs[0].perProvider
        let ours = runs[0].seconds
        let allowed = perProvider.values.map { Double(max(0, $0 - 1)) / Self.rate }.max() ?? 0
        let perEntity = Self.providers.map { Double(perProvider[$0.name] ?? 0) / Double(count / 4) }.max() ?? 1
        let fixedDelay = perEntity / Self.rate

        // The catalog's design: one entity at a time, a fixed delay after each.
        let catalogSample = try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world, workers: 1)) { service in
                let some = Array(entities.prefix(sample))
                let stored = try await service.client.post("/v1/entities/batch", ["entities": some])
                try #require(stored.status == 200)
                let clock = ContinuousClock()
                let start = clock.now
                for entity in some {
                    let job = try await service.rerun([(MediaType(rawValue: entity["mediaType"] as! String)!, entity["id"] as! String)], force: false)
                    _ = try await service.waitForJob(job)
                    try await Task.sleep(for: .seconds(fixedDelay))
                }
                return Self.seconds(clock.now - start)
            }
        }
        let catalog = catalogSample / Double(sample) * Double(count)

        report.append("\(count) entities (\(count / 4) per media type), 4 providers each limited to 5 requests/s with burst 1")
        report.append("")
        report.append("provider      API requests   time its limit needs")
        for provider in Self.providers {
            let n = perProvider[provider.name] ?? 0
            let name = provider.name.padding(toLength: 13, withPad: " ", startingAt: 0)
            report.append(name + String(format: " %12d %20.1f s", n, Double(max(0, n - 1)) / Self.rate))
        }
        report.append("")
        report.append(String(format: "time the limits allow (busiest provider): %6.1f s", allowed))
        for run in runs {
            let allowedHere = run.perProvider.values.map { Double(max(0, $0 - 1)) / Self.rate }.max() ?? 0
            report.append(String(format: "Enricher, %d instance(s), 8 workers each:   %6.1f s  = %.2fx the limits (goal: at most 1.05x, %@); %d requests refused for rate at the fakes",
                                 run.instances, run.seconds, run.seconds / allowedHere,
                                 (run.seconds <= allowedHere * 1.05 ? "met" : "MISSED") as NSString, run.violations))
            report.append(contentsOf: run.spent.map { "    " + $0 })
        }
        report.append(String(format: "catalog design, one entity at a time with a fixed %.2f s delay: %6.1f s  = %.2fx the limits, %.1fx Enricher's time",
                             fixedDelay, catalog, catalog / allowed, catalog / ours))
        report.append(String(format: "  (measured on %d entities: %.1f s, scaled to %d)", sample, catalogSample, count))
        let text = report.joined(separator: "\n") + "\n"
        if let path = Self.environment["BENCH_OUTPUT"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        for run in runs {
            #expect(run.violations == 0, "\(run.instances) instance(s): \(run.violations) requests broke a provider's limit")
        }
    }
}
