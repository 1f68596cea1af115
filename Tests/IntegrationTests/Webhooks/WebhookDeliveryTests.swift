import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// Callbacks and subscriptions through the real service, delivered to a local receiver.
@Suite("Webhook delivery", .serialized)
struct WebhookDeliveryTests {
    static let callbackSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let previousSecret = WebhookSecret.generate().text

    /// The fakes, quick retries without jitter, a callback secret (and an old one: a rotation).
    static func settings(_ world: FakeWorld, _ extra: [String: String] = [:]) -> [String: String] {
        world.environment.merging([
            ConfigurationKey.webhookSchedule.name: "0,2,2,2",
            ConfigurationKey.webhookJitter.name: "0",
            ConfigurationKey.callbackSecret.name: callbackSecret,
            ConfigurationKey.callbackPreviousSecret.name: previousSecret,
            ConfigurationKey.publicURL.name: "https://covers.example.org",
        ].merging(extra) { $1 }) { $1 }
    }

    static func book(_ id: String, seed: Int) -> (MediaType, String, [String: Any]) {
        (.books, id, ["isbn": Identifiers.isbn13(seed), "title": "Book \(seed)"])
    }

    /// Creates a subscription; returns its id and secret.
    static func subscribe(_ service: TestService, url: String, types: [String]? = nil) async throws -> (id: String, secret: WebhookSecret) {
        var body: [String: Any] = ["url": url]
        if let types { body["eventTypes"] = types }
        let created = try await service.client.post("/v1/webhooks", body)
        try #require(created.status == 201, "\(created.status) \(created.text)")
        let json = try created.json
        let secret = try #require((json["secret"] as? String).flatMap(WebhookSecret.init), "\(json)")
        return (try #require(json["id"] as? String), secret)
    }

    static func deliveries(_ service: TestService, _ endpoint: String) async throws -> [[String: Any]] {
        try await service.client.get("/v1/webhooks/\(endpoint)/deliveries").json["deliveries"] as? [[String: Any]] ?? []
    }

    static func verify(_ delivery: WebhookReceiver.Delivery, _ secrets: [WebhookSecret]) -> Bool {
        WebhookSignature.refusal(id: delivery.headers["webhook-id"], timestamp: delivery.headers["webhook-timestamp"],
                                 signature: delivery.headers["webhook-signature"], body: Array(delivery.body), secrets: secrets) == nil
    }

    @Test("a job's callback gets each entity's event and the job's, signed with both secrets during a rotation, with absolute image URLs")
    func callbacks() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await FakeWorld.with { world in
                try await TestService.with(Self.settings(world)) { service in
                    for (mediaType, id, fields) in [Self.book("cb-1", seed: 9100), Self.book("cb-2", seed: 9101)] {
                        _ = try await service.client.put("/v1/entities/\(mediaType.rawValue)/\(id)", fields)
                    }
                    let created = try await service.client.post("/v1/enrichments", [
                        "entities": [["mediaType": "books", "id": "cb-1"], ["mediaType": "books", "id": "cb-2"]], "callbackUrl": receiver.url,
                    ])
                    try #require(created.status == 202, "\(created.text)")
                    let job = try #require(try created.json["id"] as? String)
                    try await receiver.waitForDeliveries(3)
                    let received = receiver.deliveries
                    #expect(received.count == 3)
                    for delivery in received {
                        #expect(Self.verify(delivery, [WebhookSecret(Self.callbackSecret)!]), "signed with the current secret")
                        #expect(Self.verify(delivery, [WebhookSecret(Self.previousSecret)!]), "signed with the previous secret")
                        #expect(delivery.headers["webhook-signature"]?.split(separator: " ").count == 2)
                        #expect(delivery.headers["content-type"] == "application/json")
                    }
                    let entityEvents = received.map(\.json).filter { $0["type"] as? String == "enrichment.entity.completed" }
                    #expect(entityEvents.count == 2)
                    for event in entityEvents {
                        let data = try #require(event["data"] as? [String: Any], "\(event)")
                        #expect(event["timestamp"] is String)
                        #expect(data["mediaType"] as? String == "books" && data["outcome"] as? String == "found" && data["jobId"] as? String == job, "\(data)")
                        let cover = try #require(data["coverImage"] as? [String: Any], "\(data)")
                        let urls = (cover["renditions"] as? [[String: Any]] ?? []).compactMap { $0["url"] as? String }
                        #expect(!urls.isEmpty && urls.allSatisfy { $0.hasPrefix("https://covers.example.org/v1/images/") }, "\(urls)")
                        #expect((data["imageLookup"] as? [String: Any])?["permanentFailure"] as? Bool == false)
                    }
                    let jobEvent = try #require(received.map(\.json).first { $0["type"] as? String == "enrichment.job.completed" })
                    let counts = (jobEvent["data"] as? [String: Any])?["counts"] as? [String: Int]
                    #expect(counts?["found"] == 2, "\(jobEvent)")
                    // Every delivery has its own id; the callback endpoint lists them, each with its attempt.
                    #expect(Set(received.map(\.id)).count == 3)
                    let endpoints = try await service.client.get("/v1/webhooks").json["webhooks"] as? [[String: Any]] ?? []
                    let callback = try #require(endpoints.first { $0["kind"] as? String == "callback" }, "\(endpoints)")
                    #expect(callback["url"] as? String == receiver.url && callback["secret"] == nil)
                    let listed = try await Self.deliveries(service, try #require(callback["id"] as? String))
                    #expect(listed.count == 3 && listed.allSatisfy { $0["status"] as? String == "delivered" }, "\(listed)")
                    #expect(listed.allSatisfy { (($0["attempts"] as? [[String: Any]])?.first?["statusCode"] as? Int) == 204 }, "\(listed)")
                    let replay = try await service.client.post("/v1/webhooks/\(callback["id"] as? String ?? "")/replay", ["since": "2026-01-01T00:00:00Z"])
                    #expect(replay.status == 409, "replay is for subscriptions: \(replay.text)")
                }
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("a receiver down for two attempts, then up: delivered, with the same webhook-id every time")
    func downThenUp() async throws {
        // A port with nobody listening: connections are refused.
        let port = UInt16(try FreePort.find())
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let (endpoint, secret) = try await Self.subscribe(service, url: "http://127.0.0.1:\(port)/hook", types: ["enrichment.job.completed"])
                _ = try await service.enrich([Self.book("down-1", seed: 9200)])
                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(50)) {
                    ((try await Self.deliveries(service, endpoint)).first?["attempts"] as? [Any])?.count ?? 0 >= 2
                }
                let receiver = try await WebhookReceiver.start(port: port)
                do {
                    try await receiver.waitForDeliveries(1)
                    try await waitUntil(deadline: .seconds(10), interval: .milliseconds(50)) {
                        (try await Self.deliveries(service, endpoint)).first?["status"] as? String == "delivered"
                    }
                    let delivery = try #require(try await Self.deliveries(service, endpoint).first)
                    let attempts = try #require(delivery["attempts"] as? [[String: Any]])
                    #expect(attempts.count == 3, "\(attempts)")
                    #expect(attempts.prefix(2).allSatisfy { $0["statusCode"] is NSNull && ($0["error"] as? String)?.isEmpty == false }, "\(attempts)")
                    #expect(receiver.deliveries.map(\.id) == [delivery["id"] as? String], "the receiver sees the delivery's webhook-id")
                    #expect(Self.verify(receiver.deliveries[0], [secret]))
                } catch {
                    await receiver.stop()
                    throw error
                }
                await receiver.stop()
            }
        }
    }

    @Test("410 disables the endpoint; 301 is not followed and counts as a failure; a receiver slower than the timeout is tried again")
    func receiverAnswers() async throws {
        let gone = try await WebhookReceiver.start(script: [.status(410)])
        let elsewhere = try await WebhookReceiver.start()
        let moved = try await WebhookReceiver.start(script: [.status(301, headers: ["Location": elsewhere.url])])
        let slow = try await WebhookReceiver.start(script: [.slow(.seconds(20))])
        func stopAll() async { for receiver in [gone, elsewhere, moved, slow] { await receiver.stop() } }
        do {
            try await FakeWorld.with { world in
                try await TestService.with(Self.settings(world, [ConfigurationKey.webhookTimeout.name: "1"])) { service in
                    let types = ["enrichment.job.completed"]
                    let goneHook = try await Self.subscribe(service, url: gone.url, types: types)
                    let movedHook = try await Self.subscribe(service, url: moved.url, types: types)
                    let slowHook = try await Self.subscribe(service, url: slow.url, types: types)
                    _ = try await service.waitForJob(try await service.enrich([Self.book("ans-1", seed: 9300)]))

                    // 410: the endpoint is disabled at once, and later events are not sent to it.
                    try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) {
                        try await service.client.get("/v1/webhooks/\(goneHook.id)").json["enabled"] as? Bool == false
                    }
                    let disabled = try await service.client.get("/v1/webhooks/\(goneHook.id)").json
                    #expect((disabled["disabledReason"] as? String)?.contains("410") == true, "\(disabled)")

                    // 301: recorded as a failure, the Location never asked, then delivered on the retry.
                    try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) { (try await Self.deliveries(service, movedHook.id)).first?["status"] as? String == "delivered" }
                    let movedAttempts = try #require(try await Self.deliveries(service, movedHook.id).first?["attempts"] as? [[String: Any]])
                    #expect(movedAttempts.first?["statusCode"] as? Int == 301 && (movedAttempts.first?["error"] as? String)?.contains("redirect") == true, "\(movedAttempts)")
                    #expect(elsewhere.deliveries.isEmpty, "the redirect was followed")

                    // Slower than ENRICHER_WEBHOOK_TIMEOUT_SECONDS: a timeout, then a retry with the same webhook-id.
                    try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) { (try await Self.deliveries(service, slowHook.id)).first?["status"] as? String == "delivered" }
                    let slowAttempts = try #require(try await Self.deliveries(service, slowHook.id).first?["attempts"] as? [[String: Any]])
                    #expect(slowAttempts.count == 2 && slowAttempts[0]["statusCode"] is NSNull, "\(slowAttempts)")
                    #expect((slowAttempts[0]["error"] as? String)?.contains("timed out") == true, "\(slowAttempts)")
                    #expect(slow.deliveries.count == 2 && Set(slow.deliveries.map(\.id)).count == 1)

                    // A second job: the disabled endpoint gets nothing more.
                    _ = try await service.waitForJob(try await service.enrich([Self.book("ans-2", seed: 9301)]))
                    try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) { (try await Self.deliveries(service, movedHook.id)).count == 2 }
                    let goneDeliveries = try await Self.deliveries(service, goneHook.id)
                    #expect(goneDeliveries.count == 1 && goneDeliveries.first?["status"] as? String == "failed", "\(goneDeliveries)")
                    #expect(gone.deliveries.count == 1)
                }
            }
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    @Test("replay sends the events since a time again, with the same webhook-ids; delete stops a subscription")
    func replayAndDelete() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await FakeWorld.with { world in
                try await TestService.with(Self.settings(world)) { service in
                    let since = Date().addingTimeInterval(-1)
                    let hook = try await Self.subscribe(service, url: receiver.url)
                    _ = try await service.waitForJob(try await service.enrich([Self.book("rp-1", seed: 9400)]))
                    try await receiver.waitForDeliveries(2)
                    let first = receiver.deliveries.map(\.id)
                    // A date as the API writes them, with milliseconds.
                    let sinceText = since.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                    let replay = try await service.client.post("/v1/webhooks/\(hook.id)/replay", ["since": sinceText])
                    let scheduled = try replay.json["status"] as? String
                    #expect(replay.status == 202 && scheduled == "scheduled", "\(replay.text)")
                    try await receiver.waitForDeliveries(4)
                    #expect(Set(receiver.deliveries.suffix(2).map(\.id)) == Set(first))
                    #expect(try await service.client.post("/v1/webhooks/\(hook.id)/replay", ["since": "yesterday"]).status == 422)

                    #expect(try await service.client.delete("/v1/webhooks/\(hook.id)").status == 204)
                    #expect(try await service.client.get("/v1/webhooks/\(hook.id)").status == 404)
                    #expect(try await service.client.delete("/v1/webhooks/\(hook.id)").status == 404)
                    let bad = try await service.client.post("/v1/webhooks", ["url": "ftp://x", "eventTypes": ["nope"], "secret": "plain"])
                    #expect(bad.status == 422, "\(bad.text)")
                    let pointers = ((try bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String }
                    #expect(Set(pointers) == ["/url", "/eventTypes/0", "/secret"], "\(pointers)")
                }
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("the outbound address rules apply to every destination: a subscription to a private address is never reached")
    func privateDestinationRefused() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world, [ConfigurationKey.webhookSchedule.name: "0"])) { service in
                let hook = try await Self.subscribe(service, url: "http://169.254.169.254/latest/meta-data", types: ["enrichment.job.completed"])
                _ = try await service.waitForJob(try await service.enrich([Self.book("ssrf-1", seed: 9700)]))
                try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) { (try await Self.deliveries(service, hook.id)).first?["status"] as? String == "failed" }
                let attempts = try #require(try await Self.deliveries(service, hook.id).first?["attempts"] as? [[String: Any]])
                #expect(attempts.count == 2 && attempts.allSatisfy { $0["statusCode"] is NSNull }, "\(attempts)")
                #expect(attempts.allSatisfy { ($0["error"] as? String)?.contains("169.254.169.254") == true }, "\(attempts)")
            }
        }
    }

    @Test("enricher serve killed with SIGKILL after the state change, before the delivery: after a restart the event is delivered")
    func crashBeforeDelivery() async throws {
        let port = UInt16(try FreePort.find())
        try await FakeWorld.with { world in
            try await TestDatabase.with("hookcrash") { database in
                var environment = Self.settings(world, [
                    ConfigurationKey.callbackURL.name: "http://127.0.0.1:\(port)/hook",
                    ConfigurationKey.webhookSchedule.name: Array(repeating: "1", count: 30).joined(separator: ","),
                    ConfigurationKey.webhookTimeout.name: "2",
                ])
                environment.merge(["MONGODB_URI": try TestDatabase.uri(), "ENRICHER_DATABASE": database.name,
                                   "ENRICHER_API_KEYS": TestService.apiKey, "ENRICHER_SCAN_SCHEDULE": "off"]) { $1 }
                let first = try ServeProcess(environment: environment)
                var second: ServeProcess?
                var receiver: WebhookReceiver?
                defer {
                    first.cleanUp()
                    second?.cleanUp()
                }
                do {
                    try await first.waitUntilReady()
                    _ = try await first.client.put("/v1/entities/books/crash-hook", ["isbn": Identifiers.isbn13(9600)])
                    let created = try await first.client.post("/v1/enrichments", ["entities": [["mediaType": "books", "id": "crash-hook"]]])
                    let job = try #require(try created.json["id"] as? String, "\(created.text)")
                    // The state changed (the job completed) and its events' deliveries are failing: nobody listens yet.
                    try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) {
                        try await first.client.job(job, "?limit=1").status == "completed"
                    }
                    try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) {
                        try await database.collection(WebhookStore.deliveriesCollection).countDocuments(["attempts.0": ["$exists": true]]) >= 2
                    }
                    try await first.killHard()
                    #expect(try await database.collection(WebhookStore.deliveriesCollection)
                        .countDocuments(["status": "delivered"]) == 0, "nothing was delivered before the kill")

                    receiver = try await WebhookReceiver.start(port: port)
                    second = try ServeProcess(environment: environment)
                    try await second!.waitUntilReady()
                    try await receiver!.waitForDeliveries(2, deadline: .seconds(60))
                    let types = Set(receiver!.deliveries.map { $0.json["type"] as? String ?? "" })
                    #expect(types == ["enrichment.entity.completed", "enrichment.job.completed"], "\(types)")
                    let entity = receiver!.deliveries.map(\.json).first { $0["type"] as? String == "enrichment.entity.completed" }
                    #expect(((entity?["data"] as? [String: Any])?["entityId"] as? String) == "crash-hook")
                    #expect(receiver!.deliveries.allSatisfy { Self.verify($0, [WebhookSecret(Self.callbackSecret)!]) })
                } catch {
                    await receiver?.stop()
                    throw TestFailure("\(error)\n--- first ---\n\(first.logTail())\n--- second ---\n\(second?.logTail() ?? "")")
                }
                await receiver?.stop()
            }
        }
    }

    @Test("an endpoint failing with no success for ENRICHER_WEBHOOK_DISABLE_AFTER_HOURS is disabled, not before")
    func disabledAfterDays() async throws {
        try await TestDatabase.with("hooks") { database in
            let store = WebhookStore(database: database)
            try await store.ensureIndexes()
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let endpoint = try await store.createSubscription(url: "http://127.0.0.1:1/hook", eventTypes: WebhookEventType.allCases,
                                                              secret: .generate(), now: start)
            let fiveDays = Duration.seconds(5 * 86_400)
            #expect(try await store.recordFailure(endpoint.id, disableAfter: fiveDays, now: start) == nil)
            #expect(try await store.recordFailure(endpoint.id, disableAfter: fiveDays, now: start.addingTimeInterval(4 * 86_400)) == nil)
            // A success resets the count.
            try await store.recordSuccess(endpoint.id, now: start.addingTimeInterval(4.5 * 86_400))
            #expect(try await store.recordFailure(endpoint.id, disableAfter: fiveDays, now: start.addingTimeInterval(5.5 * 86_400)) == nil)
            #expect(try await store.endpoint(endpoint.id)?.enabled == true)
            let reason = try await store.recordFailure(endpoint.id, disableAfter: fiveDays, now: start.addingTimeInterval(10.5 * 86_400))
            #expect(reason?.contains("ENRICHER_WEBHOOK_DISABLE_AFTER_HOURS") == true)
            #expect(try await store.endpoint(endpoint.id)?.enabled == false)
        }
    }

    @Test("events, finished deliveries and inbound ids older than ENRICHER_WEBHOOK_RETENTION_DAYS are deleted; pending deliveries are kept")
    func retention() async throws {
        try await TestDatabase.with("retention") { database in
            let store = WebhookStore(database: database)
            try await store.ensureIndexes()
            let now = Date()
            let old = now.addingTimeInterval(-40 * 86_400)
            let events = WebhookEvents(publicURL: "http://localhost:8080")
            let endpoint = try await store.createSubscription(url: "http://127.0.0.1:1/hook", eventTypes: WebhookEventType.allCases, secret: .generate())
            let stale = try events.make(id: "evt_old", type: .jobCompleted, jobID: "job_old", data: ["n": 1], now: old)
            let fresh = try events.make(id: "evt_new", type: .jobCompleted, jobID: "job_new", data: ["n": 2], now: now)
            try await store.enqueue(stale, to: [endpoint], now: old)
            try await store.enqueue(fresh, to: [endpoint], now: now)
            #expect(try await store.claimInbound("msg_old", takeover: .seconds(60), now: old) == .process)
            try await store.finishInbound("msg_old", type: "entity.created", entity: "books/1", now: old)
            #expect(try await store.claimInbound("msg_old", takeover: .seconds(60), now: now) == .duplicate)

            let cutoff = now.addingTimeInterval(-30 * 86_400)
            // The old delivery is still pending: it stays (its event goes, having been kept for replays only).
            #expect(try await store.prune(before: cutoff) == 2)
            #expect(try await database.collection(WebhookStore.eventsCollection).countDocuments() == 1)
            #expect(try await database.collection(WebhookStore.deliveriesCollection).countDocuments() == 2)
            #expect(try await store.claimInbound("msg_old", takeover: .seconds(60), now: now) == .process, "a forgotten id is new again")
            _ = try await database.collection(WebhookStore.deliveriesCollection).updateMany([:], ["$set": ["status": "delivered"]])
            #expect(try await store.prune(before: cutoff) == 1)
            #expect(try await database.collection(WebhookStore.deliveriesCollection).countDocuments() == 1)
        }
    }

    @Test("a replayed delivery keeps its earlier attempts and gets the whole retry schedule again")
    func replayStartsTheScheduleOver() async throws {
        try await TestDatabase.with("replay") { database in
            let store = WebhookStore(database: database)
            try await store.ensureIndexes()
            let now = Date()
            let endpoint = try await store.createSubscription(url: "http://127.0.0.1:1/hook", eventTypes: WebhookEventType.allCases, secret: .generate())
            let event = try WebhookEvents(publicURL: "http://localhost:8080").make(id: "evt_r", type: .jobCompleted, jobID: "job_r", data: ["n": 1], now: now)
            try await store.enqueue(event, to: [endpoint], now: now)
            for round in 0..<2 {
                let delivery = try #require(try await store.claim(limit: 1, owner: "o\(round)", lease: .seconds(60), now: now).first)
                let attempt = WebhookDelivery.Attempt(at: now, statusCode: 500, latencyMs: 1, response: nil, error: nil)
                try await store.record(delivery, attempt: attempt, status: round == 0 ? .pending : .failed, retryAt: round == 0 ? now : nil, detail: nil)
            }
            #expect(try await store.deliveries(endpointID: endpoint.id, limit: 10).first?.status == .failed)
            guard case .scheduled(let replay) = try await store.scheduleReplay(endpoint, since: now.addingTimeInterval(-1), now: now.addingTimeInterval(1)) else {
                throw TestFailure("the replay was not scheduled")
            }
            #expect(try await store.replayPage(replay, endpoint: endpoint, limit: 10, now: now).queued == 1)
            let replayed = try #require(try await store.claim(limit: 1, owner: "o2", lease: .seconds(60), now: now).first)
            #expect(replayed.attempts.count == 2, "earlier attempts stay listed")
            #expect(replayed.attemptsThisRound == 0, "the schedule starts over")
        }
    }
}
