import BSON
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// Re-runs by query: `POST /v1/enrichments` with a filter instead of ids, counted by a dry run, expanded
/// into tasks in pages by the service. Through the API, against the real database server and the fakes.
@Suite("Re-runs by filter", .serialized)
struct RerunByFilterTests {
    static let now = Date()
    static let lastMonth = now.addingTimeInterval(-30 * 86_400)
    static let cutoff = now.addingTimeInterval(-7 * 86_400)

    /// Creates `count` entities `prefix-NNNN` of `mediaType` through the batch API, 1000 at a time.
    static func create(_ service: TestService, _ mediaType: MediaType, _ prefix: String, count: Int) async throws {
        for start in stride(from: 0, to: count, by: 1000) {
            let items = (start..<min(count, start + 1000)).map { index -> [String: Any] in
                ["mediaType": mediaType.rawValue, "id": "\(prefix)-\(String(format: "%04d", index))", "title": "\(prefix) \(index)"]
            }
            let response = try await service.client.post("/v1/entities/batch", ["entities": items])
            guard response.status == 200 else { throw TestFailure("batch: \(response.status) \(response.text)") }
        }
    }

    /// Plants a lookup made long ago on the entities whose id starts with `prefix`, as a lookup that found
    /// nothing leaves it (the history a re-run selects on).
    static func plantLookup(_ service: TestService, _ mediaType: MediaType, _ prefix: String, sources: [String], reason: String,
                            at lookedUp: Date, retryAt: Date, ids: ClosedRange<Int>? = nil) async throws {
        let entities = service.database.collection(EntityRepository.collectionName)
        var filter: BSONDocument = ["_id": ["$gte": .string("\(mediaType.rawValue)/\(prefix)-"), "$lt": .string("\(mediaType.rawValue)/\(prefix).")]]
        if let ids {
            filter["_id"] = ["$gte": .string("\(mediaType.rawValue)/\(prefix)-\(String(format: "%04d", ids.lowerBound))"),
                             "$lte": .string("\(mediaType.rawValue)/\(prefix)-\(String(format: "%04d", ids.upperBound))")]
        }
        let lookup = ImageLookup(lookupAttemptedAt: lookedUp, failureReason: reason, permanentFailure: false, attempts: 1, retryAt: retryAt,
                                 sources: sources)
        try await entities.updateMany(filter, ["$set": ["imageLookup": .document(try BSONEncoder().encode(lookup)),
                                                        "status": .string(EntityStatus.failed.rawValue)]])
    }

    static func dryRun(_ service: TestService, _ filter: [String: Any]) async throws -> Int? {
        let response = try await service.client.post("/v1/enrichments", ["filter": filter, "dryRun": true])
        guard response.status == 200 else { throw TestFailure("dry run: \(response.status) \(response.text)") }
        return try response.json["matched"] as? Int
    }

    @Test("a filter job over 2,500 entities is written in pages and completes with every one counted once; a dry run counts them and each condition narrows the count")
    func twoThousandFiveHundred() async throws {
        try await FakeWorld.with { world in
            var settings = world.environment
            settings[ConfigurationKey.filterJobPageSize.name] = "100"
            try await TestService.with(settings) { service in
                try await Self.create(service, .movies, "tmdb", count: 2500)
                try await Self.create(service, .movies, "upc", count: 100)
                try await Self.create(service, .movies, "recent", count: 100)
                try await Self.create(service, .movies, "timeout", count: 50)
                try await Self.create(service, .books, "tmdb", count: 100)
                try await Self.create(service, .movies, "fresh", count: 100)
                let later = Self.now.addingTimeInterval(30 * 86_400)
                let reason = "tmdb: HTTP 503 Service Unavailable"
                // Failed on TMDb last month; 50 of them are due again, the rest are not.
                try await Self.plantLookup(service, .movies, "tmdb", sources: ["tmdb"], reason: reason, at: Self.lastMonth, retryAt: later)
                try await Self.plantLookup(service, .movies, "tmdb", sources: ["tmdb"], reason: reason, at: Self.lastMonth,
                                           retryAt: Self.now.addingTimeInterval(-3600), ids: 0...49)
                // What the filter must leave: another provider, a lookup this week, another reason, another media type, never looked up.
                try await Self.plantLookup(service, .movies, "upc", sources: ["upcitemdb"], reason: "upcItemDB: HTTP 503", at: Self.lastMonth, retryAt: later)
                try await Self.plantLookup(service, .movies, "recent", sources: ["tmdb"], reason: reason, at: Self.now.addingTimeInterval(-3600), retryAt: later)
                try await Self.plantLookup(service, .movies, "timeout", sources: ["upcitemdb", "tmdb"], reason: "upcItemDB: not found; tmdb: timed out",
                                           at: Self.lastMonth, retryAt: later)
                try await Self.plantLookup(service, .books, "tmdb", sources: ["tmdb"], reason: reason, at: Self.lastMonth, retryAt: later)

                let cutoff = Self.cutoff.ISO8601Format()
                var filter: [String: Any] = ["mediaTypes": ["movies"], "statuses": ["failed"], "provider": "tmdb", "lookedUpBefore": cutoff]
                #expect(try await Self.dryRun(service, ["statuses": ["failed"]]) == 2850)
                #expect(try await Self.dryRun(service, ["mediaTypes": ["movies"], "statuses": ["failed"]]) == 2750)
                #expect(try await Self.dryRun(service, ["mediaTypes": ["movies", "books"], "provider": "tmdb"]) == 2750)
                #expect(try await Self.dryRun(service, ["mediaTypes": ["movies"], "provider": "tmdb"]) == 2650)
                #expect(try await Self.dryRun(service, filter) == 2550)
                filter["failureReason"] = "HTTP 503 SERVICE"
                #expect(try await Self.dryRun(service, filter) == 2500)
                #expect(try await Self.dryRun(service, ["mediaTypes": ["movies"], "statuses": ["missing"]]) == 100)
                #expect(world.requestCount == 0, "a dry run called a provider")

                let started = try await service.client.post("/v1/enrichments", ["filter": filter])
                #expect(started.status == 202, "\(started.text)")
                let body = try started.json
                let id = try #require(body["id"] as? String, "\(started.text)")
                #expect(started.headers["Location"] == "/v1/enrichments/\(id)")
                #expect((body["expansion"] as? [String: Any])?["matched"] as? Int == 2500, "\(started.text)")
                #expect((body["filter"] as? [String: Any])?["provider"] as? String == "tmdb", "\(started.text)")

                let job: [String: Any]
                do {
                    job = try await service.waitForJob(id, deadline: .seconds(600), interval: .seconds(10))
                } catch {
                    let state = try await service.client.get("/v1/enrichments/\(id)?limit=3").text
                    throw TestFailure("the job did not complete: \(state)")
                }
                #expect(job["total"] as? Int == 2500, "\(job["total"] ?? "nil")")
                let counts = try #require(job["counts"] as? [String: Int])
                #expect(counts["found"] == 50 && counts["skipped"] == 2450 && counts["queued"] == 0, "\(counts)")
                #expect(counts.values.reduce(0, +) == 2500, "\(counts)")
                #expect((job["expansion"] as? [String: Any])?["state"] as? String == "done", "\(job["expansion"] ?? "nil")")
                #expect(job["percent"] as? Int == 100)

                // Every entity once, in the job's items, page after page.
                var seen: [String: Int] = [:]
                var cursor: String? = nil
                repeat {
                    let page = try await service.client.get("/v1/enrichments/\(id)?limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                    for item in page["items"] as? [[String: Any]] ?? [] {
                        seen["\(item["mediaType"] ?? "")/\(item["id"] ?? "")", default: 0] += 1
                    }
                    cursor = page["nextCursor"] as? String
                } while cursor != nil
                #expect(seen.count == 2500 && seen.values.allSatisfy { $0 == 1 }, "\(seen.count) entities, \(seen.filter { $0.value > 1 }.count) repeated")
                #expect(seen.keys.allSatisfy { $0.hasPrefix("movies/tmdb-") })
                // Only the 50 due ones were looked up: one TMDb search each.
                #expect(world[.tmdb].requests(to: .tmdb).count == 50, "\(world[.tmdb].requests(to: .tmdb).count) TMDb searches")
                #expect(try await service.entity(.movies, "tmdb-0000")["status"] as? String == "found")
                let untouched = try await service.entity(.movies, "recent-0000")
                #expect(CatalogTruthTests.date(CatalogTruthTests.lookup(untouched)["lookupAttemptedAt"])! < Self.now)
            }
        }
    }

    @Test("a lookup records the sources that gave no cover, a filter on one of them finds the entity, and force re-runs it")
    func sourcesRecorded() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                world.setEveryScenario(.miss)
                let (missed, entity) = try await service.enrichOne(.books, "s-1", ["isbn": Identifiers.isbn13(9701), "title": "Nowhere"])
                #expect(missed.outcome == "notFound", "\(missed)")
                let sources = CatalogTruthTests.lookup(entity)["sources"] as? [String]
                #expect(sources == ["openlibrary", "googlebooks", "upcitemdb"], "\(entity)")
                #expect(try await Self.dryRun(service, ["provider": "openLibrary", "statuses": ["failed"]]) == 1)
                #expect(try await Self.dryRun(service, ["provider": "tmdb"]) == 0)

                // Without force, the entity just looked up is skipped; with it, looked up again and found.
                world.setEveryScenario(.hit)
                let skipped = try await service.client.post("/v1/enrichments", ["filter": ["provider": "openLibrary"]])
                let skippedJob = try await service.waitForJob(try #require(try skipped.json["id"] as? String, "\(skipped.text)"))
                #expect(try JobItemView.only(in: skippedJob).outcome == "skipped", "\(skippedJob)")
                let forced = try await service.client.post("/v1/enrichments", ["filter": ["provider": "openLibrary"], "force": true])
                let forcedJob = try await service.waitForJob(try #require(try forced.json["id"] as? String, "\(forced.text)"))
                #expect(try JobItemView.only(in: forcedJob).outcome == "found", "\(forcedJob)")
                #expect(forcedJob["force"] as? Bool == true)
            }
        }
    }

    @Test("bad filters are refused with a pointer to the field; a filter matching nothing or too much starts no job")
    func refusals() async throws {
        var settings: [String: String] = [:]
        settings[ConfigurationKey.filterJobMaxEntities.name] = "2"
        try await TestService.with(settings) { service in
            let client = service.client
            for id in ["a", "b", "c"] {
                #expect(try await client.put("/v1/entities/games/\(id)", ["title": "Game \(id)"]).status == 201)
            }
            for (body, pointer, words) in [
                (["entities": [["mediaType": "games", "id": "a"]], "filter": [:]] as [String: Any], "/filter", "not both"),
                (["filter": ["mediaTypes": ["vinyl"]]], "/filter/mediaTypes/0", "media type"),
                (["filter": ["statuses": "failed"]], "/filter/statuses", "array"),
                (["filter": ["statuses": []]], "/filter/statuses", "leave it out for any"),
                (["filter": ["statuses": Array(repeating: "failed", count: 17)]], "/filter/statuses", "got 17 items"),
                (["filter": ["provider": "amazon"]], "/filter/provider", "tmdb"),
                (["filter": ["failureReason": ""]], "/filter/failureReason", "1 to 200"),
                (["filter": ["failureReason": String(repeating: "x", count: 201)]], "/filter/failureReason", "got text of 201 characters"),
                // One character with 300 combining marks is 301 characters as the limit counts them.
                (["filter": ["failureReason": "e" + String(repeating: "\u{0301}", count: 300)]], "/filter/failureReason", "got text of 301"),
                (["filter": ["lookedUpBefore": "last week"]], "/filter/lookedUpBefore", "RFC 3339"),
                (["filter": ["lookedUpAfter": "2026-11-02T00:00:00Z", "lookedUpBefore": "2026-11-01T00:00:00Z"]], "/filter/lookedUpAfter", "earlier"),
                (["filter": ["mediaType": "games"]], "/filter/mediaType", "unknown field"),
                (["filter": "games"], "/filter", "object"),
                (["entities": [["mediaType": "games", "id": "a"]], "dryRun": true], "/dryRun", "filter"),
            ] {
                let response = try await client.post("/v1/enrichments", body)
                #expect(response.status == 422 && response.text.contains(pointer) && response.text.contains(words),
                        "\(body): \(response.status) \(response.text)")
            }
            // A null filter beside entities is no filter: the job by ids starts.
            let byIDs = try await client.post("/v1/enrichments", ["entities": [["mediaType": "games", "id": "a"]], "filter": NSNull()])
            #expect(byIDs.status == 202, "\(byIDs.text)")
            // Regular-expression characters are text: nothing fails, nothing matches by accident.
            #expect(try await Self.dryRun(service, ["failureReason": ".*(a|b)[\\"]) == 0)

            let none = try await client.post("/v1/enrichments", ["filter": ["statuses": ["found"]]])
            #expect(none.status == 422 && none.text.contains("matches no entity"), "\(none.text)")
            let tooMany = try await client.post("/v1/enrichments", ["filter": ["mediaTypes": ["games"]]])
            #expect(tooMany.status == 422 && tooMany.text.contains("3 entities") && tooMany.text.contains("ENRICHER_FILTER_JOB_MAX_ENTITIES"),
                    "\(tooMany.text)")
            #expect(try await Self.dryRun(service, ["mediaTypes": ["games"]]) == 3, "a dry run counts past the limit")
            let jobs = try await service.database.collection(JobStore.jobsCollection).countDocuments()
            #expect(jobs == 1, "a refused re-run left a job (the one job is the one by ids)")
        }
    }

    @Test("a re-run's tasks are written a page at a time as the queue runs low; a page written by a process that stopped before recording it is adopted, not written twice")
    func pagesAndLeftovers() async throws {
        try await TestDatabase.with("rerun") { database in
            let entities = EntityRepository(database: database)
            try await entities.ensureIndexes()
            let store = JobStore(database: database)
            try await store.ensureIndexes()
            let tasks = database.collection(JobStore.tasksCollection)
            for index in 0..<7 {
                _ = try await entities.upsert(EntityKey(mediaType: .games, id: "g-\(index)"), EntityDraft(title: "Game \(index)"))
            }
            guard case .started(let job) = try await store.rerun(filter: EntityFilter(mediaTypes: [.games]), force: false, callbackUrl: nil,
                                                                 dryRun: false, maxEntities: 100, entities: entities) else { throw TestFailure("no job") }
            func expand(_ owner: String) async throws -> Bool {
                try await store.expandNext(owner: owner, lease: .seconds(60), pageSize: 3, maxEntities: 100, entities: entities)
            }
            // A first writer writes a page of three, then "dies" before recording it: its tasks are there, the job says 0.
            #expect(try await expand("first"))
            #expect(try await store.job(job.id)?.total == 3)
            #expect(try await expand("first") == false, "a second page was written while a whole page was queued")
            try await database.collection(JobStore.jobsCollection).updateOne(["_id": .string(job.id)], ["$set": [
                "total": .int64(0), "expansion.owner": "first", "expansion.until": .date(Date(timeIntervalSinceNow: 3600)),
            ], "$unset": ["expansion.cursor": "", "expansion.turns": ""]])
            // Workers finish those tasks; while the dead writer's lease lasts, nobody writes.
            try await tasks.updateMany(["jobId": .string(job.id)], ["$set": ["state": "done", "outcome": "skipped"]])
            #expect(try await expand("second") == false)
            try await database.collection(JobStore.jobsCollection).updateOne(["_id": .string(job.id)], ["$set": [
                "expansion.until": .date(Date(timeIntervalSince1970: 0)),
            ]])
            // Once it has run out, the next writer adopts the page as it was, then goes on.
            #expect(try await expand("second"))
            #expect(try await store.job(job.id)?.total == 3, "the leftover page was not adopted as it was")
            var rounds = 0
            while try await store.job(job.id)?.expansion?.done == false, rounds < 10 {
                _ = try await expand("second")
                try await tasks.updateMany(["jobId": .string(job.id)], ["$set": ["state": "done", "outcome": "skipped"]])
                rounds += 1
            }
            let expanded = try #require(try await store.job(job.id))
            #expect(expanded.total == 7 && expanded.expansion?.done == true, "\(expanded)")
            let (items, _) = try await store.items(expanded, after: nil, limit: 100)
            #expect(items.map(\.key.id) == (0..<7).map { "g-\($0)" }, "\(items.map(\.key.id))")
            #expect(expanded.status == .completed, "the job did not complete once every task had ended")
        }
    }
}
