import EnricherCore
import Enrichment
import Foundation
import Testing

/// `GET /metrics` as a Prometheus server scrapes it: counts that match what really happened, labels
/// that never carry an id, text that promtool accepts, and one instance's work never in another's.
@Suite("Metrics", .serialized)
struct MetricsTests {
    static let metricsKey = "metrics-key-0123456789abcdef"

    @Test("a job's work shows in /metrics as the fake providers saw it: requests per provider, outcomes, covers stored")
    func countsMatchTheFakes() async throws {
        try await FakeWorld.with { world in
            var environment = world.environment
            environment[ConfigurationKey.metricsKeys.name] = Self.metricsKey
            // Open Library's real pace (one request a second): the three books' lookups wait for the budget.
            environment[ConfigurationKey.openLibraryRate.name] = "1/s"
            try await TestService.with(environment) { service in
                let books: [(MediaType, String, [String: Any])] = (1...3).map { (.books, "book-\($0)", ["isbn": Identifiers.isbn13(40 + $0)]) }
                let movies: [(MediaType, String, [String: Any])] = [(.movies, "movie-1", ["title": "The Matrix", "year": 1999])]
                let job = try await service.waitForJob(try await service.enrich(books + movies))
                let scrape = try await Self.scrape(service)
                let samples = try PrometheusText.parse(scrape)

                // Every request a fake provider's API received is one the service counted for that provider.
                for kind in FakeProvider.Kind.allCases {
                    let provider = try #require(Self.providerID[kind])
                    let received = world[kind].requests.filter { Self.apiServices[kind, default: []].contains($0.service) }.count
                    let counted = samples.sum("enricher_provider_requests_total", ["provider": provider])
                    #expect(counted == Double(received), "\(provider): the fake received \(received) API requests, /metrics counts \(counted)")
                }
                #expect(samples.sum("enricher_provider_requests_total", [:]) > 0, "no provider request counted at all:\n\(scrape)")
                #expect(samples.sum("enricher_provider_requests_total", ["provider": "openlibrary", "outcome": "ok"]) == 3, "\(scrape)")
                #expect(samples.sum("enricher_provider_request_duration_seconds_count", ["provider": "openlibrary"]) == 3)
                // Three requests at one a second (the four workers look them up at once): the first leaves at once,
                // the later ones sleep until their slots, about one and two seconds after it (in seconds, not ms).
                // At most one wait per request; on a loaded machine the first can find its slot taken too.
                let waits = samples.sum("enricher_provider_budget_waits_total", ["provider": "openlibrary"])
                let waited = samples.sum("enricher_provider_budget_wait_seconds_total", ["provider": "openlibrary"])
                #expect(waits >= 1 && waits <= 3, "\(scrape)")
                #expect(waited > 0.3 && waited < 6, "\(scrape)")
                // TMDb's budget (1000/s in the tests) had a slot free for its one request: no wait.
                #expect(samples.sum("enricher_provider_budget_waits_total", ["provider": "tmdb"]) == 0, "\(scrape)")

                // Each entity's outcome, as the job reports it, by media type.
                let items = try #require(job["items"] as? [[String: Any]])
                var outcomes: [String: Int] = [:]
                for item in items { outcomes["\(item["mediaType"] ?? "")/\(item["outcome"] ?? "")", default: 0] += 1 }
                #expect(outcomes.values.reduce(0, +) == 4, "\(items)")
                for (key, count) in outcomes {
                    let parts = key.split(separator: "/").map(String.init)
                    let counted = samples.sum("enricher_lookups_total", ["media_type": parts[0], "outcome": parts[1]])
                    #expect(counted == Double(count), "\(key): the job says \(count), /metrics says \(counted)")
                }
                #expect(samples.sum("enricher_lookups_total", [:]) == 4)

                // Covers: one stored per distinct picture the entities show, with every file's bytes.
                var covers: [String: Int] = [:]
                for (mediaType, id, _) in books + movies {
                    guard let cover = try await service.entity(mediaType, id)["coverImage"] as? [String: Any],
                          let coverID = cover["id"] as? String, let files = cover["renditions"] as? [[String: Any]] else { continue }
                    covers[coverID] = files.reduce(0) { $0 + ($1["bytes"] as? Int ?? 0) }
                }
                #expect(!covers.isEmpty, "no entity got a cover: \(job)")
                #expect(samples.sum("enricher_covers_stored_total", [:]) == Double(covers.count))
                #expect(samples.sum("enricher_cover_stored_bytes_total", [:]) == Double(covers.values.reduce(0, +)))
                #expect(samples.sum("enricher_libvips_duration_seconds_count", [:]) >= Double(covers.count))
                #expect(samples.sum("enricher_renditions_total", [:]) >= Double(covers.count))

                // The queue is empty once the job completed; every breaker is closed.
                #expect(samples.sum("enricher_task_queue_depth", [:]) == 0)
                #expect(samples.sum("enricher_tasks", [:]) == 0)
                #expect(samples.sum("enricher_provider_circuit_breaker_state", ["provider": "openlibrary", "state": "closed"]) == 1)
                #expect(samples.sum("enricher_provider_circuit_breaker_state", ["provider": "openlibrary", "state": "open"]) == 0)
                #expect(samples.sum("enricher_database_operation_duration_seconds_count", ["operation": "find"]) > 0)
                #expect(samples.sum("enricher_http_requests_total", ["method": "POST", "route": "/v1/enrichments", "status": "202"]) == 1)

                // Every name is one docs/metrics.md describes.
                let documented = try RepositoryTests.read("docs/metrics.md")
                let families = scrape.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
                #expect(families.count >= 15, "\(families)")
                for family in families where !documented.contains("`\(family)`") {
                    Issue.record("docs/metrics.md does not describe \(family)")
                }

                try Self.promtoolAccepts(scrape)
            }
        }
    }

    @Test("/metrics needs the API key or a metrics key; the metrics key opens nothing else")
    func access() async throws {
        try await TestService.with([ConfigurationKey.metricsKeys.name: Self.metricsKey]) { service in
            let client = service.client
            let anonymous = try await client.send("GET", "/metrics", auth: .none)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("Content-Type") == "application/problem+json", "\(anonymous.headers)")
            #expect(try anonymous.json["status"] as? Int == 401)
            let wrong = try await client.send("GET", "/metrics", auth: .custom("Bearer not-the-metrics-key-at-all"))
            #expect(wrong.status == 401)

            let withMetricsKey = try await client.send("GET", "/metrics", auth: .custom("Bearer \(Self.metricsKey)"))
            #expect(withMetricsKey.status == 200)
            #expect(withMetricsKey.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let withAPIKey = try await client.get("/metrics")
            #expect(withAPIKey.status == 200)

            // The metrics key is not an API key.
            let config = try await client.send("GET", "/v1/config", auth: .custom("Bearer \(Self.metricsKey)"))
            #expect(config.status == 401)
        }
    }

    @Test("requests are labelled by route template, never by path: no id or unknown path reaches a label")
    func labelsCarryNoIDs() async throws {
        try await TestService.with { service in
            let client = service.client
            #expect(try await client.get("/v1/entities/books/label-id-98765").status == 404)
            #expect(try await client.get("/v1/entities/books/label-id-98765").status == 404)
            #expect(try await client.get("/no/such/route-secret-4242").status == 404)
            #expect(try await client.send("BREW", "/v1/entities/books/label-id-98765").status == 405)
            // A request the server refuses before any route is matched: counted, with no method or route to show.
            let connection = try await RawConnection(port: client.port)
            defer { connection.close() }
            try await connection.send("GET /v1/entities/books/label-id-98765 HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
            #expect(try await WireReader(connection).next(within: .seconds(5)).status == 400)
            // A request is counted right after its answer is written, so the last one may be a moment behind.
            let scrape = try await Self.scrape(service) { $0.sum("enricher_http_requests_total", ["status": "400"]) >= 1 }
            #expect(!scrape.contains("98765") && !scrape.contains("route-secret") && !scrape.contains("BREW"), "\(scrape)")
            let samples = try PrometheusText.parse(scrape)
            #expect(samples.sum("enricher_http_requests_total",
                                ["method": "GET", "route": "/v1/entities/{mediaType}/{id}", "status": "404"]) == 2, "\(scrape)")
            #expect(samples.sum("enricher_http_requests_total", ["method": "GET", "route": "unmatched", "status": "404"]) == 1)
            #expect(samples.sum("enricher_http_requests_total", ["method": "other", "status": "405"]) == 1)
            #expect(samples.sum("enricher_http_requests_total", ["method": "unknown", "route": "unmatched", "status": "400"]) == 1, "\(scrape)")
            #expect(samples.sum("enricher_http_request_duration_seconds_count", ["route": "/v1/entities/{mediaType}/{id}"]) == 2)
            // Every label value of the HTTP metrics is a template, a method, a status or a bounded word.
            for sample in samples where sample.family.hasPrefix("enricher_http_") {
                if let route = sample.labels["route"] {
                    #expect(route == "unmatched" || route == "*" || route.hasPrefix("/"), "\(sample)")
                }
            }
            try Self.promtoolAccepts(scrape)
        }
    }

    @Test("two instances in one process each show only their own work")
    func instancesDoNotShare() async throws {
        try await TestService.with { first in
            try await TestService.with { second in
                for _ in 0..<3 { #expect(try await first.client.get("/healthz").status == 200) }
                let firstSamples = try PrometheusText.parse(try await Self.scrape(first) {
                    $0.sum("enricher_http_requests_total", ["route": "/healthz"]) >= 3
                })
                let secondSamples = try PrometheusText.parse(try await Self.scrape(second))
                #expect(firstSamples.sum("enricher_http_requests_total", ["route": "/healthz"]) == 3)
                #expect(secondSamples.sum("enricher_http_requests_total", ["route": "/healthz"]) == 0)
            }
        }
    }

    @Test("webhook attempts are counted by outcome, as the receiver saw them; nothing is left pending")
    func webhookAttempts() async throws {
        try await WebhookReceiver.with(script: [.status(500)]) { receiver in
            try await FakeWorld.with { world in
                var environment = world.environment
                environment[ConfigurationKey.webhookSchedule.name] = "0,1"
                environment[ConfigurationKey.webhookJitter.name] = "0"
                environment[ConfigurationKey.callbackSecret.name] = WebhookDeliveryTests.callbackSecret
                try await TestService.with(environment) { service in
                    _ = try await service.client.put("/v1/entities/books/hook-1", ["isbn": Identifiers.isbn13(77)])
                    let created = try await service.client.post("/v1/enrichments", [
                        "entities": [["mediaType": "books", "id": "hook-1"]], "callbackUrl": receiver.url,
                    ])
                    try #require(created.status == 202, "\(created.text)")
                    // The entity's event and the job's: one of them is answered 500 first and sent again.
                    try await receiver.waitForDeliveries(3)
                    // The last attempt is counted once its outcome is recorded, just after the receiver answered it.
                    let samples = try PrometheusText.parse(try await Self.scrape(service) {
                        $0.sum("enricher_webhook_delivery_attempts_total", ["outcome": "delivered"]) >= 2
                    })
                    #expect(samples.sum("enricher_webhook_delivery_attempts_total", ["outcome": "delivered"]) == 2)
                    #expect(samples.sum("enricher_webhook_delivery_attempts_total", ["outcome": "retry"]) == 1)
                    #expect(samples.sum("enricher_webhook_delivery_attempts_total", [:]) == Double(receiver.deliveries.count))
                    #expect(samples.sum("enricher_webhook_oldest_pending_age_seconds", [:]) == 0)
                }
            }
        }
    }

    @Test("the queue gauges count unfinished tasks by media type and state; finished tasks are not counted")
    func queueCounts() async throws {
        try await TestDatabase.with("queue") { database in
            let jobs = JobStore(database: database)
            try await jobs.ensureIndexes()
            let keys = ["b1", "b2", "b3"].map { EntityKey(mediaType: .books, id: $0) } + [EntityKey(mediaType: .movies, id: "m1")]
            _ = try await jobs.create(keys: keys, force: false, callbackUrl: nil)
            let claimed = try await jobs.claim(limit: 3, owner: "worker", lease: .seconds(60))
            try #require(claimed.count == 3)
            try await jobs.postpone(claimed[0], until: Date().addingTimeInterval(60), progress: nil, detail: "waits for a budget")
            #expect(try await jobs.finish(claimed[1], outcome: .found, detail: nil))

            let counts = try await jobs.queuedCounts()
            func total(_ state: JobStore.QueuedState) -> Int { counts.values.reduce(0) { $0 + ($1[state] ?? 0) } }
            #expect(total(.due) == 1 && total(.claimed) == 1 && total(.waiting) == 1, "\(counts)")
            #expect(counts[.books].map { $0.values.reduce(0, +) } ?? 0 == (claimed[1].key.mediaType == .books ? 2 : 3), "\(counts)")
            #expect(counts[.games] == [.due: 0, .claimed: 0, .waiting: 0])
        }
    }

    // MARK: Support

    /// The API services each fake provider answers for its provider (not its images, nor Twitch's tokens).
    static let apiServices: [FakeProvider.Kind: Set<FakeService?>] = [
        .openLibrary: [.openLibrary], .googleBooks: [.googleBooks, .googleBooksVolume], .upcItemDB: [.upcItemDB],
        .tmdb: [.tmdb], .giantBomb: [.giantBomb], .igdb: [.igdb], .musicBrainz: [.musicBrainz, .coverArtArchive],
    ]

    static let providerID: [FakeProvider.Kind: String] = [
        .openLibrary: "openlibrary", .googleBooks: "googlebooks", .upcItemDB: "upcitemdb", .tmdb: "tmdb",
        .giantBomb: "giantbomb", .igdb: "igdb", .musicBrainz: "musicbrainz",
    ]

    static func scrape(_ service: TestService) async throws -> String {
        let response = try await service.client.get("/metrics")
        guard response.status == 200 else { throw TestFailure("GET /metrics: \(response.status) \(response.text)") }
        return response.text
    }

    /// The first scrape (within 10 s) whose samples satisfy `ready`: what is counted when an answer is
    /// written or an outcome recorded may be a moment behind what the client saw.
    static func scrape(_ service: TestService, when ready: @escaping @Sendable ([PrometheusSample]) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while true {
            let scrape = try await Self.scrape(service)
            if ready(try PrometheusText.parse(scrape)) || clock.now >= deadline { return scrape }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `promtool check metrics` (Debian's prometheus package, installed by scripts/bootstrap --test):
    /// the text format parses, and every name, unit, suffix and help text passes Prometheus' linter.
    static func promtoolAccepts(_ scrape: String) throws {
        let promtool = try #require(["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "promtool is not installed: run scripts/bootstrap --test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try Data(scrape.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: file)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool check metrics: \(output)\n\(scrape)")
    }
}

/// One sample of Prometheus' text format.
struct PrometheusSample: Sendable, CustomStringConvertible {
    let family: String
    let labels: [String: String]
    let value: Double

    var description: String { "\(family)\(labels) \(value)" }
}

/// A strict-enough reader of the text format for the tests' own sums (promtool judges the format).
enum PrometheusText {
    static func parse(_ text: String) throws -> [PrometheusSample] {
        var samples: [PrometheusSample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            var name = ""
            var labels: [String: String] = [:]
            var rest = Substring(line)
            if let brace = rest.firstIndex(of: "{") {
                name = String(rest[..<brace])
                guard let close = rest.lastIndex(of: "}") else { throw TestFailure("unclosed labels: \(line)") }
                for pair in try splitLabels(rest[rest.index(after: brace)..<close]) { labels[pair.0] = pair.1 }
                rest = rest[rest.index(after: close)...]
            } else {
                guard let space = rest.firstIndex(of: " ") else { throw TestFailure("no value: \(line)") }
                name = String(rest[..<space])
                rest = rest[space...]
            }
            guard let value = Double(rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else {
                throw TestFailure("bad value: \(line)")
            }
            samples.append(PrometheusSample(family: name, labels: labels, value: value))
        }
        return samples
    }

    private static func splitLabels(_ text: Substring) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        var index = text.startIndex
        while index < text.endIndex {
            guard let equals = text[index...].firstIndex(of: "=") else { throw TestFailure("bad labels: \(text)") }
            let name = String(text[index..<equals]).trimmingCharacters(in: CharacterSet(charactersIn: ", "))
            var cursor = text.index(equals, offsetBy: 2)
            var value = ""
            while cursor < text.endIndex, text[cursor] != "\"" {
                if text[cursor] == "\\" { cursor = text.index(after: cursor) }
                value.append(text[cursor])
                cursor = text.index(after: cursor)
            }
            pairs.append((name, value))
            index = text.index(after: cursor)
        }
        return pairs
    }
}

extension [PrometheusSample] {
    /// The sum of the samples named `family` whose labels include `labels`.
    func sum(_ family: String, _ labels: [String: String]) -> Double {
        filter { sample in sample.family == family && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
    }
}
