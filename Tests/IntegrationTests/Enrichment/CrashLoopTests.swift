import BSON
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// The real `enricher serve` against answers that once killed it, and against a task that kills it
/// every time: the process stays up, or the task ends failed, and the job completes either way.
@Suite("Crash loops against the real binary", .serialized)
struct CrashLoopTests {
    /// `enricher serve` on its own database, pointed at the fakes; stopped before the database is dropped.
    static func withServe(_ world: FakeWorld, _ prefix: String, _ settings: [String: String],
                          _ body: (ServeProcess, MongoDatabase, [String: String]) async throws -> Void) async throws {
        try await TestDatabase.with(prefix) { database in
            var environment = world.environment
            environment.merge([
                "MONGODB_URI": try TestDatabase.uri(),
                "ENRICHER_DATABASE": database.name,
                "ENRICHER_API_KEYS": TestService.apiKey,
                "ENRICHER_SCAN_SCHEDULE": "off",
                "ENRICHER_LOG_LEVEL": "info",
            ]) { $1 }
            environment.merge(settings) { $1 }
            let serve = try ServeProcess(environment: environment)
            defer { serve.cleanUp() }
            do {
                try await serve.waitUntilReady()
                try await body(serve, database, environment)
            } catch {
                throw TestFailure("\(error)\n--- enricher serve ---\n\(serve.logTail(40))")
            }
        }
    }

    @Test("UPCitemdb answering 429 with X-RateLimit-Reset inf, -1, 1e400, 99999999999999999999, nan or empty: the service stays up, the job completes")
    func rateLimitResetNeverTraps() async throws {
        try await FakeWorld.with { world in
            let upc = world[.upcItemDB]
            try await Self.withServe(world, "reset", [
                ConfigurationKey.chainMovies.name: "tmdb,upcitemdb",
                // Reported at once rather than retried later: the job completes as soon as the throttle is read.
                ConfigurationKey.throttleDeferrals.name: "0",
                // The pause after each 429 (UPCitemdb sends no Retry-After), so the next variant reaches the fake.
                ConfigurationKey.throttleDefaultRetry.name: "1",
            ]) { serve, _, _ in
                let tooFast = FakeProvider.fixtureText("upcitemdb-429-body.json")
                for (index, value) in ["inf", "-1", "1e400", "99999999999999999999", "nan", ""].enumerated() {
                    upc.scenario = .reply(status: 429, body: tooFast, headers: ["X-RateLimit-Reset": value])
                    let before = upc.requests(to: .upcItemDB).count
                    // A barcode and no title: TMDb asks UPCitemdb for the title first.
                    let id = "reset-\(index)"
                    _ = try await serve.client.put("/v1/entities/movies/\(id)", ["barcode": Identifiers.upcA(7100 + index)])
                    let created = try await serve.client.post("/v1/enrichments", ["entities": [["mediaType": "movies", "id": id]]])
                    let job = try #require(try created.json["id"] as? String, "\(created.text)")
                    do {
                        try await waitUntil(deadline: .seconds(30), interval: .milliseconds(50)) {
                            guard serve.process.isRunning else { throw TestFailure("enricher serve died (status \(serve.process.terminationStatus))") }
                            return try await serve.client.job(job, "?limit=1").status == "completed"
                        }
                    } catch {
                        throw TestFailure("X-RateLimit-Reset: \(value.debugDescription): \(error)")
                    }
                    #expect(serve.process.isRunning, "X-RateLimit-Reset: \(value.debugDescription)")
                    #expect(try await serve.client.send("GET", "/healthz", auth: .none).status == 200)
                    #expect(upc.requests(to: .upcItemDB).count > before, "X-RateLimit-Reset: \(value.debugDescription): the 429 never reached the service")
                    let item = try #require(try await serve.client.job(job).items.first)
                    #expect(item["outcome"] as? String == "deferred", "X-RateLimit-Reset: \(value.debugDescription): \(item)")
                }
            }
        }
    }

    @Test("a task that crashes its process every time is finished as failed after ENRICHER_JOB_MAX_ATTEMPTS, recorded and reported")
    func crashLoopEndsFailed() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await FakeWorld.with { world in
                try await runCrashLoop(world, receiver)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    private func runCrashLoop(_ world: FakeWorld, _ receiver: WebhookReceiver) async throws {
        let openLibrary = world[.openLibrary]
        // The lookup hangs, so every process is killed (SIGKILL, as a crash) with the task in hand.
        openLibrary.setScenario(.slow(.seconds(120)), for: .openLibrary)
        try await Self.withServe(world, "crashloop", [
            ConfigurationKey.jobMaxAttempts.name: "2",
            ConfigurationKey.leaseSeconds.name: "2",
            ConfigurationKey.workers.name: "1",
            ConfigurationKey.chainBooks.name: "openlibrary",
            ConfigurationKey.providerTimeout.name: "120",
            ConfigurationKey.callbackSecret.name: WebhookDeliveryTests.callbackSecret,
        ]) { first, database, environment in
            let tasks = database.collection(JobStore.tasksCollection)
            _ = try await first.client.put("/v1/entities/books/crash-loop", ["isbn": Identifiers.isbn13(7200)])
            let created = try await first.client.post("/v1/enrichments", [
                "entities": [["mediaType": "books", "id": "crash-loop"]], "callbackUrl": receiver.url,
            ])
            let job = try #require(try created.json["id"] as? String, "\(created.text)")

            /// Waits until attempt number `failures + 1` is started and its lookup reached Open Library, then
            /// kills the process.
            func crash(_ serve: ServeProcess, afterFailures failures: Int) async throws {
                do {
                    try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) {
                        guard let task = try await tasks.findOne(["jobId": .string(job)]) else { return false }
                        return task["startedAt"] != nil && (task["failures"]?.int64Value ?? 0) == Int64(failures)
                    }
                    try await openLibrary.waitForRequests(failures + 1, to: .openLibrary, deadline: .seconds(30))
                } catch {
                    throw TestFailure("attempt \(failures + 1) never started: \(String(describing: try? await tasks.findOne(["jobId": .string(job)])))\n\(serve.logTail())")
                }
                try await serve.killHard()
            }

            try await crash(first, afterFailures: 0)
            let second = try ServeProcess(environment: environment)
            defer { second.cleanUp() }
            try await second.waitUntilReady()
            try await crash(second, afterFailures: 1)
            #expect(openLibrary.requests(to: .openLibrary).count == 2, "one lookup per attempt")

            // The third process finds the task failed twice: it does not look it up again, it finishes it.
            let third = try ServeProcess(environment: environment)
            defer { third.cleanUp() }
            try await third.waitUntilReady()
            do {
                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(50)) { try await third.client.job(job, "?limit=1").status == "completed" }
            } catch {
                throw TestFailure("the job did not complete: \((try? await third.client.job(job))?.description ?? "?")\n\(third.logTail())")
            }
            let snapshot = try await third.client.job(job)
            let item = try #require(snapshot.items.first)
            let detail = item["detail"] as? String ?? ""
            #expect(snapshot.counts["failed"] == 1, "\(snapshot)")
            #expect(item["outcome"] as? String == "failed", "\(item)")
            #expect(detail.hasPrefix("processing failed or crashed 2 times; last: the worker stopped during the attempt started at "), "\(detail)")
            #expect(openLibrary.requests(to: .openLibrary).count == 2, "the third attempt looked the entity up again")

            // Recorded on the entity like any failure: failed, not permanent.
            let entity = try await third.client.get("/v1/entities/books/crash-loop").json
            let lookup = entity["imageLookup"] as? [String: Any]
            #expect(entity["status"] as? String == "failed", "\(entity)")
            #expect(lookup?["failureReason"] as? String == detail, "\(entity)")
            #expect(lookup?["permanentFailure"] as? Bool == false, "\(entity)")
            let task = try #require(try await tasks.findOne(["jobId": .string(job)]))
            #expect(task["attempts"]?.int64Value == 3 && task["failures"]?.int64Value == 2, "\(task)")

            // Its events go out: the entity's (failed) and the job's.
            try await receiver.waitForDeliveries(2)
            let events = receiver.deliveries.map(\.json)
            let entityEvent = events.first { $0["type"] as? String == "enrichment.entity.completed" }
            #expect((entityEvent?["data"] as? [String: Any])?["outcome"] as? String == "failed", "\(events)")
            #expect(events.contains { $0["type"] as? String == "enrichment.job.completed" }, "\(events)")
        }
    }
}
