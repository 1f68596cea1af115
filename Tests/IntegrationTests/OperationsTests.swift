import BSON
import EnricherApp
import EnricherCore
import Foundation
import Logging
import MongoDB
import Testing

/// What an operator relies on: health, readiness, configuration, start-up and shutdown behaviour.
@Suite("Operations", .serialized)
struct OperationsTests {
    @Test("healthz and readyz answer without a key; v1/config shows every setting with secrets redacted")
    func healthAndConfig() async throws {
        try await TestService.with(["ENRICHER_MAX_BODY_BYTES": "2048"]) { service in
            let health = try await service.client.send("GET", "/healthz", auth: .none)
            #expect(health.status == 200)
            #expect(try health.json["status"] as? String == "ok")
            let ready = try await service.client.send("GET", "/readyz", auth: .none)
            #expect(ready.status == 200)
            #expect(try ready.json["status"] as? String == "ready")

            #expect(try await service.client.send("GET", "/v1/config", auth: .none).status == 401)
            let response = try await service.client.get("/v1/config")
            #expect(response.status == 200)
            let config = try #require(try response.json["config"] as? [String: String])
            #expect(Set(config.keys) == Set(ConfigurationKey.all.map(\.name)))
            #expect(config["ENRICHER_API_KEYS"] == "<redacted>")
            #expect(config["ENRICHER_MAX_BODY_BYTES"] == "2048")
            #expect(!response.text.contains(TestService.apiKey), "the key itself never appears")
        }
    }

    @Test("libmongoc runs off the cooperative pool: with 100 slow database operations in flight, /healthz answers within 50 ms")
    func blockingCallsStayOffCooperativePool() async throws {
        try await TestService.with { service in
            // A collection big enough that an unindexed regex query takes tens of milliseconds.
            let slow = service.database.collection("slow")
            let filler = String(repeating: "x", count: 64)
            _ = try await slow.bulkWrite((0..<3000).map { .insertOne(["n": .int64(Int64($0)), "s": .string(filler)]) })
            // Measure requests, not connection set-up: open the client's connection first.
            #expect(try await service.client.send("GET", "/healthz", auth: .none).status == 200)
            let finished = Counter()
            let load = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<100 {
                        group.addTask {
                            _ = try await slow.countDocuments(["s": ["$regex": "y"]])
                            finished.increment()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Wait until the load is really there: operations queued behind the driver threads.
            try await waitUntil(deadline: .seconds(10)) { service.database.queuedOperations > 0 }
            var latencies: [Duration] = []
            for _ in 0..<10 where finished.value < 100 {
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await service.client.send("GET", "/healthz", auth: .none)
                latencies.append(clock.now - start)
                #expect(response.status == 200)
            }
            let stillRunning = 100 - finished.value
            try await load.value
            #expect(latencies.count >= 5, "the load finished too soon to measure")
            #expect(stillRunning > 0, "measured while operations were still in flight")
            #expect(latencies.allSatisfy { $0 < .milliseconds(50) }, "healthz latencies: \(latencies)")
        }
    }

    @Test("an unreachable database is retried for the configured time, then start-up fails naming it")
    func unreachableDatabase() async throws {
        let closedPort = try FreePort.find()
        let configuration = try Configuration(environment: [
            "MONGODB_URI": "mongodb://127.0.0.1:\(closedPort)/?directConnection=true&serverSelectionTimeoutMS=300",
            "ENRICHER_DB_STARTUP_TIMEOUT_SECONDS": "2",
            "ENRICHER_API_KEYS": TestService.apiKey,
        ])
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await Application(configuration: configuration, logger: Logger(label: "test"))
            Issue.record("start-up succeeded without a database")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("cannot reach MongoDB at mongodb://127.0.0.1:\(closedPort)"), "\(message)")
            #expect(message.contains("ENRICHER_DB_STARTUP_TIMEOUT_SECONDS"))
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .seconds(1), "it retried rather than giving up at once")
        #expect(elapsed < .seconds(10), "it gave up within a bounded time")
    }

    @Test("shutdown lets an in-flight request finish, then refuses new connections")
    func gracefulShutdown() async throws {
        let uri = try TestDatabase.uri()
        let configuration = try Configuration(environment: [
            "MONGODB_URI": uri, "ENRICHER_DATABASE": TestDatabase.uniqueName(), "ENRICHER_HOST": "127.0.0.1",
            "ENRICHER_PORT": "0", "ENRICHER_API_KEYS": TestService.apiKey, "ENRICHER_SHUTDOWN_GRACE_SECONDS": "10",
        ])
        let application = try await Application(configuration: configuration, logger: Logger(label: "test"))
        let running = Task { try await application.run() }
        let port = try await application.waitUntilListening()
        let client = TestClient(port: port, apiKey: TestService.apiKey)
        // A batch big enough to still be in flight when shutdown starts.
        let items: [[String: Any]] = (0..<1000).map { ["mediaType": "books", "id": "s\($0)", "title": "T\($0)"] }
        let inFlight = Task { try await client.post("/v1/entities/batch", ["entities": items]) }
        try await waitUntil(deadline: .seconds(10)) { application.requestsInFlight > 0 }
        await application.stop()
        let response = try await inFlight.value
        #expect(response.status == 200)
        #expect(try response.json["created"] as? Int == 1000)
        await #expect(throws: (any Error).self) { try await client.send("GET", "/healthz", auth: .none) }
        try await running.value
        // The pool is closed once run() returns.
        await #expect(throws: MongoError.closed) { try await application.database.ping() }
    }
}

/// A thread-safe count for tests.
final class Counter: Sendable {
    private let storage = LockedValue(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
