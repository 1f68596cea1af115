import Blocking
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Synchronization
import Testing

/// Our own database failing or hanging: bounded waits, honest answers (503 with Retry-After, not ready),
/// recovery without help, and lookups cut short by it put back rather than recorded as the provider's.
@Suite("Database faults", .serialized)
struct DatabaseFaultTests {
    @Test("the server's 'not now' codes (elections, step-downs, shutdowns, network) are transient; others are not")
    func transientCodes() {
        for code: Int32 in [6, 7, 89, 91, 134, 189, 262, 9001, 10058, 10107, 11600, 11602, 13435, 13436] {
            #expect(MongoError.server(code: code, message: "").isTransient, "code \(code)")
        }
        for code: Int32 in [2, 13, 26, 121, 11000] {
            #expect(!MongoError.server(code: code, message: "").isTransient, "code \(code)")
        }
    }

    @Test("a caller cancelled while its database work waits for a thread is answered at once, and the work never runs")
    func queuedWorkHonoursCancellation() async throws {
        let executor = BlockingExecutor(threads: 1, queueLimit: 10, name: "test")
        let gate = DispatchSemaphore(value: 0)
        // However the test ends, the thread is let go before the executor waits for it.
        defer {
            gate.signal()
            executor.shutdown()
        }
        let ran = Atomic<Bool>(false)
        let holding = Atomic<Bool>(false)
        let blocker = Task {
            try await executor.run {
                holding.store(true, ordering: .relaxed)
                gate.wait()
            }
        }
        // The one thread is held before the second call is queued behind it.
        try await waitUntil(deadline: .seconds(5)) { holding.load(ordering: .relaxed) }
        let queued = Task { try await executor.run { ran.store(true, ordering: .relaxed) } }
        try await waitUntil(deadline: .seconds(5)) { executor.queued == 1 }
        let clock = ContinuousClock()
        let cancelled = clock.now
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(cancelled.duration(to: clock.now) < .seconds(2), "the cancelled caller waited for the thread")
        gate.signal()
        try await blocker.value
        // The thread is free again: a later call runs, the cancelled one did not.
        try await executor.run {}
        let cancelledWorkRan = ran.load(ordering: .relaxed)
        #expect(!cancelledWorkRan)
    }

    @Test("a hung database (stopped): /readyz says not ready within 5 s, API calls answer 503 with Retry-After within the request timeout, and the service recovers by itself")
    func hungDatabase() async throws {
        let database = try await PrivateDatabaseServer.start()
        defer { database.stop() }
        let process = try ServeProcess(environment: [
            "MONGODB_URI": database.uri, "ENRICHER_DATABASE": "hung", "ENRICHER_API_KEYS": TestService.apiKey,
            "ENRICHER_SCAN_SCHEDULE": "off", ConfigurationKey.requestTimeout.name: "6",
        ])
        defer { process.cleanUp() }
        try await process.waitUntilReady()
        let client = process.client
        #expect(try await client.put("/v1/entities/books/h1", ["isbn": "9780441013593"]).status == 201)

        database.suspend()
        let clock = ContinuousClock()
        let stopped = clock.now
        try await waitUntil(deadline: .seconds(10), interval: .milliseconds(100)) { try await client.get("/readyz").status == 503 }
        let notReadyAfter = stopped.duration(to: clock.now)
        #expect(notReadyAfter <= .seconds(5), "/readyz said ready for \(notReadyAfter) after the database stopped answering")

        let asked = clock.now
        let answer = try await client.get("/v1/entities/books/h1")
        let took = asked.duration(to: clock.now)
        #expect(answer.status == 503 && answer.header("Retry-After") != nil, "\(answer.status) \(answer.text)")
        #expect(answer.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(took <= .seconds(8), "the API call took \(took) against a 6 s request timeout")

        database.resume()
        let resumed = clock.now
        try await waitUntil(deadline: .seconds(20), interval: .milliseconds(100)) { try await client.get("/readyz").status == 200 }
        #expect(resumed.duration(to: clock.now) <= .seconds(10))
        let after = try await client.get("/v1/entities/books/h1")
        #expect(after.status == 200, "\(after.status) \(after.text)")
    }

    @Test("a lookup cut short by our own side (its rate budget cannot be read) is put back and done again, never recorded as the provider's failure")
    func interruptedLookupIsPutBack() async throws {
        try await FakeWorld.with { world in
            let settings = world.environment.merging([
                ConfigurationKey.chainBooks.name: "openlibrary",
                ConfigurationKey.providersDisabled.name: "googlebooks,upcitemdb,giantbomb,igdb",
                ConfigurationKey.pollMilliseconds.name: "200",
            ]) { $1 }
            try await TestService.with(settings) { service in
                // A budget document no reservation can update: our fault, not Open Library's.
                let budgets = service.database.collection(ProviderBudget.collectionName)
                try await budgets.insertOne(["_id": "openlibrary@shared", "tat": "corrupt", "pausedUntil": .int64(0)])
                let job = try await service.enrich([(.books, "i1", ["isbn": "9780441013593"])])
                let client = service.client
                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(50)) {
                    let items = try await client.get("/v1/enrichments/\(job)").json["items"] as? [[String: Any]] ?? []
                    return (items.first?["detail"] as? String)?.contains("interrupted") == true
                }
                let entity = try await service.entity(.books, "i1")
                #expect(entity["imageLookup"] is NSNull || entity["imageLookup"] == nil, "recorded while interrupted: \(entity)")
                #expect(world[.openLibrary].requests.filter { $0.service == .openLibrary }.isEmpty)
                // Our side mended: the same task is done, found, and its attempts were not spent.
                try await budgets.deleteOne(["_id": "openlibrary@shared"])
                let final = try await service.waitForJob(job, deadline: .seconds(30))
                let counts = final["counts"] as? [String: Int] ?? [:]
                #expect(counts["found"] == 1, "\(counts)")
                let found = try await service.entity(.books, "i1")
                #expect((found["coverImage"] as? [String: Any])?["provider"] as? String == "openlibrary")
            }
        }
    }

    @Test("only the latest claim records an entity's lookup: a claim whose fence was replaced records nothing")
    func fencedRecord() async throws {
        try await TestDatabase.with("fence") { database in
            let entities = EntityRepository(database: database)
            let key = EntityKey(mediaType: .books, id: "f1")
            _ = try await entities.upsert(key, EntityDraft(isbn: "9780441013593"))
            let minute = Date().addingTimeInterval(60)
            #expect(try await entities.fenceLookup(key, token: "first-claim", task: "job_a/0000", until: minute) == .taken)
            // While the first claim's lease lasts, a second claim (another job's task) finds its lookup running.
            #expect(try await entities.fenceLookup(key, token: "second-claim", task: "job_b/0000", until: minute) == .heldByOther(token: "first-claim"))
            // The first claim's lease runs out, its fence with it: the next claim takes over.
            #expect(try await entities.fenceLookup(key, token: "early-claim", task: "job_b/0000", until: minute.addingTimeInterval(60), now: minute.addingTimeInterval(1)) == .taken)
            // A later claim of the same task (the earlier one's lease ran out) takes over at once, even
            // before the earlier claim's fence would run out.
            #expect(try await entities.fenceLookup(key, token: "second-claim", task: "job_b/0000", until: minute) == .taken)
            let stale = ImageLookup(lookupAttemptedAt: Date(), failureReason: "stale", permanentFailure: false)
            await #expect(throws: LookupFenced.self) {
                try await entities.recordLookup(key, coverImage: nil, imageLookup: stale, existingCover: false, fence: "first-claim")
            }
            #expect(try await entities.get(key)?.imageLookup == nil)
            let current = ImageLookup(lookupAttemptedAt: Date(), failureReason: "current", permanentFailure: false)
            try await entities.recordLookup(key, coverImage: nil, imageLookup: current, existingCover: false, fence: "second-claim")
            #expect(try await entities.get(key)?.imageLookup?.failureReason == "current")
            // Recorded once: the fence is spent.
            await #expect(throws: LookupFenced.self) {
                try await entities.recordLookup(key, coverImage: nil, imageLookup: stale, existingCover: false, fence: "second-claim")
            }
        }
    }

    @Test("a worker whose lease was taken stops that work: no download after it, nothing recorded, the task left to its new owner")
    func lostLeaseStopsTheWork() async throws {
        try await FakeWorld.with { world in
            world[.openLibrary].setScenario(.slow(.seconds(4)), for: .openLibrary)
            let settings = world.environment.merging([
                ConfigurationKey.chainBooks.name: "openlibrary",
                ConfigurationKey.providersDisabled.name: "googlebooks,upcitemdb,giantbomb,igdb",
                ConfigurationKey.leaseSeconds.name: "3",
            ]) { $1 }
            try await TestService.with(settings) { service in
                let job = try await service.enrich([(.books, "l1", ["isbn": "9780441013593"])])
                try await waitUntil(deadline: .seconds(20)) { !world[.openLibrary].requests.filter { $0.service == .openLibrary }.isEmpty }
                // Another worker claims the task (as after an expired lease) while the first waits for Open Library.
                let tasks = service.database.collection(JobStore.tasksCollection)
                try await tasks.updateOne(["jobId": .string(job)], ["$set": ["owner": "thief", "dueAt": .date(Date().addingTimeInterval(3600))]])
                // (As after the first claim's lease ran out: the fence's end is passed for the thief.)
                let later = Date().addingTimeInterval(3600)
                _ = try await EntityRepository(database: service.database).fenceLookup(EntityKey(mediaType: .books, id: "l1"), token: "thief",
                                                                                       task: "thief-task", until: later, now: later)
                // Open Library answers after 4 s; the first worker's next renewal (every second) finds the
                // lease gone before that. Waiting out the answer and a download's time shows nothing follows.
                try await Task.sleep(for: .seconds(6))
                #expect(world[.openLibrary].requests.filter { $0.service != .openLibrary }.isEmpty, "a cover was downloaded after the lease was lost")
                let entity = try await service.entity(.books, "l1")
                #expect(entity["imageLookup"] is NSNull || entity["imageLookup"] == nil, "recorded after the lease was lost: \(entity)")
                let task = try #require(try await tasks.findOne(["jobId": .string(job)]))
                #expect(task["owner"]?.stringValue == "thief" && task["state"]?.stringValue == "queued")
            }
        }
    }
}
