import BSON
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// Whole jobs through the real service and the fake providers: many entities at once, and a real
/// process killed in the middle of a job.
@Suite("End to end", .serialized)
struct EndToEndTests {
    @Test("200 entities of every media type: all found, every cover served byte for byte, shared covers stored once")
    func twoHundredEntities() async throws {
        try await FakeWorld.with { world in
            let settings = world.environment.merging([ConfigurationKey.workers.name: "8"]) { $1 }
            try await TestService.with(settings) { service in
                let client = service.client
                var entities: [[String: Any]] = []
                for index in 0..<50 {
                    entities.append(["mediaType": "books", "id": "book-\(index)", "isbn": Identifiers.isbn13(1000 + index), "title": "Book \(index)"])
                    entities.append(["mediaType": "movies", "id": "movie-\(index)", "barcode": Identifiers.upcA(2000 + index), "title": "Movie \(index)"])
                    entities.append(["mediaType": "games", "id": "game-\(index)", "barcode": Identifiers.upcA(3000 + index, prefix: 8), "title": "Game \(index)", "platform": "PC"])
                    entities.append(["mediaType": "musics", "id": "music-\(index)", "barcode": Identifiers.ean13(4000 + index), "title": "Album \(index)", "artist": "Artist \(index)"])
                }
                let stored = try await client.post("/v1/entities/batch", ["entities": entities])
                try #require(stored.status == 200 && (try stored.json["created"] as? Int) == 200, "\(stored.status) \(stored.text.prefix(2000))")

                let keys = entities.map { ["mediaType": $0["mediaType"] as! String, "id": $0["id"] as! String] }
                let created = try await client.post("/v1/enrichments", ["entities": keys])
                try #require(created.status == 202, "\(created.text)")
                let job = try #require(try created.json["id"] as? String)
                #expect(try created.json["total"] as? Int == 200)

                let clock = ContinuousClock()
                let started = clock.now
                do {
                    // Generous: every provider request reserves a slot of its budget in the database (one
                    // operation at a time on SecantusDB), which this test does not measure.
                    try await waitUntil(deadline: .seconds(180), interval: .milliseconds(100)) { try await client.job(job, "?limit=1").status == "completed" }
                } catch {
                    throw TestFailure("job not completed: \(try await client.job(job)) after \(clock.now - started)")
                }
                let final = try await client.job(job, "?limit=500")
                #expect(final.counts == ["queued": 0, "found": 200, "notFound": 0, "failed": 0, "permanent": 0, "skipped": 0, "deferred": 0], "\(final)")
                #expect(final.total == 200 && final.percent == 100, "\(final)")
                #expect(final.items.count == 200)
                let notFound = final.items.filter { $0["outcome"] as? String != "found" }
                #expect(notFound.isEmpty, "\(notFound.prefix(5))")

                // Every entity's cover is what the fake of its provider served, byte for byte.
                var servedByID: [String: Data] = [:]
                var providers: [String: Int] = [:]
                for key in keys {
                    let path = "\(key["mediaType"]!)/\(key["id"]!)"
                    let entity = try await client.get("/v1/entities/\(path)")
                    let cover = try #require(try entity.json["coverImage"] as? [String: Any], "\(path): \(entity.text)")
                    let provider = cover["provider"] as? String ?? "?"
                    providers[provider, default: 0] += 1
                    let kind = try #require(FakeProvider.Kind(provider: provider), "\(path): unexpected provider \(provider)")
                    let expected = world[kind].defaultImageBytes
                    let id = try #require(cover["id"] as? String, "\(path): \(cover)")
                    #expect(id == sha256Hex(expected), "\(path): the cover of \(provider) has the id of its bytes")
                    if servedByID[id] == nil {
                        let image = try await client.send("GET", "/v1/images/\(id)", auth: .none)
                        #expect(image.status == 200, "\(path): GET /v1/images/\(id): \(image.status)")
                        servedByID[id] = image.body
                    }
                    #expect(servedByID[id] == (try await service.storedOriginal(id)), "\(path): served \(servedByID[id]?.count ?? 0) bytes, not the stored original")
                }
                // Every media type found a cover somewhere; books all share Open Library's.
                #expect(providers["openlibrary"] == 50, "\(providers)")
                #expect(providers.values.reduce(0, +) == 200)

                // Shared covers are stored once: one cover per distinct picture, each with its original and renditions.
                #expect(try await service.storedCovers() == servedByID.count, "\(servedByID.count) distinct covers: \(providers)")
                let files = try await service.database.collection("images.files").countDocuments()
                #expect(files == 3 * servedByID.count, "images.files holds \(files) documents for \(servedByID.count) covers (original, thumb, display)")
            }
        }
    }

    @Test("ENRICHER_WORKERS entities are looked up at once, with the default poll interval")
    func workersRunTogether() async throws {
        try await FakeWorld.with { world in
            let openLibrary = world[.openLibrary]
            // Each cover takes 2 s: covers requested less than 1 s apart were in flight together.
            openLibrary.setScenario(.slow(.seconds(2)), for: .openLibraryCovers)
            let settings = world.environment.merging([
                ConfigurationKey.workers.name: "4",
                ConfigurationKey.pollMilliseconds.name: ConfigurationKey.pollMilliseconds.defaultValue ?? "1000",
            ]) { $1 }
            try await TestService.with(settings) { service in
                let job = try await service.enrich((0..<8).map { (.books, "w-\($0)", ["isbn": Identifiers.isbn13(7000 + $0)]) })
                try await openLibrary.waitForRequests(4, to: .openLibraryCovers, deadline: .seconds(20))
                let covers = openLibrary.requests(to: .openLibraryCovers)
                let spread = covers[3].time - covers[0].time
                #expect(spread < .seconds(1), "4 workers took \(spread) to start 4 lookups: they did not run together")
                let final = try await service.waitForJob(job)
                #expect((final["counts"] as? [String: Int])?["found"] == 8, "\(final)")
            }
        }
    }

    @Test("workers take queued work fairly across media types: a slow provider's entities do not hold every worker")
    func fairAcrossMediaTypes() async throws {
        try await FakeWorld.with { world in
            // Each TMDb search takes 2 s; books are quick.
            world[.tmdb].setScenario(.slow(.seconds(2)), for: .tmdb)
            let settings = world.environment.merging([ConfigurationKey.workers.name: "2", ConfigurationKey.queueSize.name: "16"]) { $1 }
            try await TestService.with(settings) { service in
                // The movies come first in the job.
                let movies = (0..<4).map { (MediaType.movies, "fm-\($0)", ["barcode": Identifiers.upcA(8100 + $0), "title": "The Matrix"] as [String: Any]) }
                let books = (0..<6).map { (MediaType.books, "fb-\($0)", ["isbn": Identifiers.isbn13(8200 + $0)] as [String: Any]) }
                let job = try await service.enrich(movies + books)
                let final = try await service.waitForJob(job)
                let items = try #require(final["items"] as? [[String: Any]])
                func finished(_ prefix: String) -> [Date] {
                    items.filter { ($0["id"] as? String ?? "").hasPrefix(prefix) }
                        .compactMap { ($0["finishedAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) } }.sorted()
                }
                let (movieTimes, bookTimes) = (finished("fm-"), finished("fb-"))
                try #require(movieTimes.count == 4 && bookTimes.count == 6, "\(items)")
                // One worker stays on movies while the other clears the books: every book is done before
                // the second movie, where first-come order would have put all books after all movies.
                #expect(bookTimes.last! < movieTimes[1], "books finished \(bookTimes), movies \(movieTimes)")
            }
        }
    }

    @Test("stopping the service cancels in-flight provider calls and gives every claimed task back at once")
    func shutdownReleasesWork() async throws {
        try await FakeWorld.with { world in
            let openLibrary = world[.openLibrary]
            // Covers hang far longer than a shutdown may take.
            openLibrary.setScenario(.slow(.seconds(20)), for: .openLibraryCovers)
            let settings = world.environment.merging([ConfigurationKey.workers.name: "2", ConfigurationKey.queueSize.name: "4"]) { $1 }
            try await TestService.with(settings) { service in
                let job = try await service.enrich((0..<6).map { (.books, "sd-\($0)", ["isbn": Identifiers.isbn13(8300 + $0)]) })
                try await openLibrary.waitForRequests(2, to: .openLibraryCovers, deadline: .seconds(20))
                let name = service.application.configuration.database.name
                let clock = ContinuousClock()
                let started = clock.now
                await service.application.stop()
                // The service closed its own connection: look with another one.
                let own = try MongoDatabase(.init(uri: try TestDatabase.uri(), databaseName: name, threads: 1))
                let tasks = own.collection(JobStore.tasksCollection)
                do {
                    // Every task is queued again, held by no one, due now: the next start takes them at once.
                    try await waitUntil(deadline: .seconds(10), interval: .milliseconds(50)) {
                        try await tasks.countDocuments(["jobId": .string(job), "state": "queued", "owner": ["$exists": false],
                                                        "dueAt": ["$lte": .date(Date())]]) == 6
                    }
                } catch {
                    await own.close()
                    throw error
                }
                await own.close()
                let took = clock.now - started
                #expect(took < .seconds(10), "stopping took \(took): the hanging cover downloads were waited out, not cancelled")
            }
        }
    }

    @Test("enricher serve killed with SIGKILL mid-job: after a restart the job completes, nothing lost, nothing done twice")
    func crashAndRestart() async throws {
        try await FakeWorld.with { world in
            let openLibrary = world[.openLibrary]
            // Each cover takes a while, so the job is still running when the process is killed.
            openLibrary.setScenario(.slow(.milliseconds(400)), for: .openLibraryCovers)
            let databaseName = TestDatabase.uniqueName("crash")
            var environment = world.environment
            environment.merge([
                "MONGODB_URI": try TestDatabase.uri(),
                "ENRICHER_DATABASE": databaseName,
                "ENRICHER_API_KEYS": TestService.apiKey,
                "ENRICHER_LOG_LEVEL": "info",
                ConfigurationKey.leaseSeconds.name: "3",
                ConfigurationKey.workers.name: "2",
            ]) { $1 }
            let database = try MongoDatabase(.init(uri: try TestDatabase.uri(), databaseName: databaseName, threads: 2))
            let first: ServeProcess
            do { first = try ServeProcess(environment: environment) } catch { await database.close(); throw error }
            var second: ServeProcess?
            defer {
                first.cleanUp()
                second?.cleanUp()
            }
            // The processes stop before the database is dropped: a running one would write it again.
            func cleanUp() async {
                first.cleanUp()
                second?.cleanUp()
                _ = try? await database.command(["dropDatabase": 1])
                await database.close()
            }
            do {
                try await runCrashScenario(world: world, environment: environment, database: database, first: first) { second = $0 }
            } catch {
                await cleanUp()
                throw error
            }
            await cleanUp()
        }
    }

    private func runCrashScenario(world: FakeWorld, environment: [String: String], database: MongoDatabase,
                                  first: ServeProcess, started: (ServeProcess) -> Void) async throws {
        let openLibrary = world[.openLibrary]
        try await first.waitUntilReady()
        let isbns = (0..<30).map { Identifiers.isbn13(5000 + $0) }
        let ids = isbns.indices.map { "crash-\($0)" }
        let stored = try await first.client.post("/v1/entities/batch", ["entities": zip(ids, isbns).map { ["mediaType": "books", "id": $0, "isbn": $1] }])
        try #require(stored.status == 200, "\(stored.text)")
        let created = try await first.client.post("/v1/enrichments", ["entities": ids.map { ["mediaType": "books", "id": $0] }])
        try #require(created.status == 202, "\(created.text)")
        let job = try #require(try created.json["id"] as? String)

        // Kill the process once some of the work is done.
        do {
            try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) { try await first.client.job(job, "?limit=1").finished >= 5 }
        } catch {
            throw TestFailure("5 entities were not done in time: \((try? await first.client.job(job))?.description ?? "?")\n\(first.logTail())")
        }
        try await first.killHard()
        let tasks = database.collection("enrichment_tasks")
        let atKill = try await tasks.find(["jobId": .string(job)])
        try #require(atKill.count == 30)
        let doneBeforeKill = Set(atKill.filter { $0["state"]?.stringValue == "done" }.compactMap { $0["entity"]?.stringValue })
        let inFlightAtKill = Set(atKill.filter { $0["state"]?.stringValue == "queued" && $0["owner"] != nil }.compactMap { $0["entity"]?.stringValue })
        try #require(doneBeforeKill.count >= 5 && doneBeforeKill.count < 30,
                     "the kill must land mid-job: \(doneBeforeKill.count) of 30 done")
        let restartedAt = ContinuousClock.now

        let second = try ServeProcess(environment: environment)
        started(second)
        try await second.waitUntilReady()
        do {
            try await waitUntil(deadline: .seconds(60), interval: .milliseconds(100)) { try await second.client.job(job, "?limit=1").status == "completed" }
        } catch {
            throw TestFailure("the job did not complete after the restart: \((try? await second.client.job(job))?.description ?? "?")\n\(second.logTail())")
        }

        // Nothing lost: every entity found, once.
        let final = try await second.client.job(job, "?limit=500")
        let context = "done before the kill: \(doneBeforeKill.sorted()); in flight: \(inFlightAtKill.sorted())\n\(second.logTail(15))"
        #expect(final.total == 30 && final.counts["found"] == 30 && final.queued == 0 && final.percent == 100, "\(final)\n\(context)")
        #expect(final.items.compactMap { $0["id"] as? String } == ids, "every item, once, in request order")
        for item in final.items {
            #expect(item["state"] as? String == "done" && item["outcome"] as? String == "found" && item["finishedAt"] is String, "\(item)")
        }
        for id in ids {
            let entity = try await second.client.get("/v1/entities/books/\(id)")
            #expect((try entity.json["coverImage"] as? [String: Any])?["provider"] as? String == "openlibrary", "\(id): \(entity.text)")
        }

        // The queue's own record: work done before the kill was taken once; work in flight was taken
        // again after its lease ran out; work never started was taken once, by the new process.
        let afterRestart = try await tasks.find(["jobId": .string(job)])
        for task in afterRestart {
            let entity = task["entity"]?.stringValue ?? "?"
            let attempts = task["attempts"]?.int64Value ?? -1
            #expect(task["state"]?.stringValue == "done" && task["outcome"]?.stringValue == "found", "\(entity): \(task)")
            #expect(task["owner"] == nil, "\(entity): a finished task holds no lease: \(task)")
            if inFlightAtKill.contains(entity) {
                #expect(attempts == 2, "\(entity) was in flight at the kill: taken again once, got \(attempts) attempts")
            } else {
                #expect(attempts == 1, "\(entity) was taken \(attempts) times\n\(context)")
            }
        }

        // Nothing done twice: no provider call after the restart for an entity done before the kill,
        // and exactly one Books API call each for them overall.
        let booksCalls = openLibrary.requests(to: .openLibrary).filter { $0.path == "/api/books" }
        for (id, isbn) in zip(ids, isbns) {
            let calls = booksCalls.filter { $0.query["bibkeys"] == "ISBN:\(isbn)" }
            if doneBeforeKill.contains("books/\(id)") {
                let late = calls.filter { $0.time > restartedAt }
                #expect(late.isEmpty, "\(id) was done before the kill but looked up again after the restart")
                #expect(calls.count == 1, "\(id) was looked up \(calls.count) times")
            } else {
                #expect(!calls.isEmpty, "\(id) was never looked up")
            }
        }
    }
}
