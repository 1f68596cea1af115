import BSON
import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// Replays through the real service: recorded by the API at once, run in the background a page at a
/// time, never sending a delivery twice at once, going on after a restart from where they stopped.
@Suite("Webhook replay", .serialized)
struct WebhookReplayTests {
    static func replay(_ service: TestService, _ hook: String, since: Date) async throws -> TestClient.Response {
        try await service.client.post("/v1/webhooks/\(hook)/replay", ["since": since.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))])
    }

    static func waitForReplay(_ client: TestClient, _ location: String, status: String = "completed",
                              deadline: Duration = .seconds(30)) async throws -> [String: Any] {
        try await waitUntil(deadline: deadline, interval: .milliseconds(50)) { try await client.get(location).json["status"] as? String == status }
        return try await client.get(location).json
    }

    /// How many times the receiver got each webhook-id.
    static func counts(_ receiver: WebhookReceiver) -> [String: Int] {
        receiver.deliveries.reduce(into: [:]) { $0[$1.id, default: 0] += 1 }
    }

    @Test("the API answers at once with a scheduled replay; every event in range is sent again once, over more than one page")
    func pagesThroughEveryEvent() async throws {
        try await WebhookReceiver.with { receiver in
            try await FakeWorld.with { world in
                let settings = WebhookDeliveryTests.settings(world, [ConfigurationKey.webhookReplayPageSize.name: "2"])
                try await TestService.with(settings) { service in
                    let since = Date().addingTimeInterval(-1)
                    let hook = try await WebhookDeliveryTests.subscribe(service, url: receiver.url)
                    // Five entities and the job: six events, three full pages.
                    let books = (0..<5).map { WebhookDeliveryTests.book("pg-\($0)", seed: 9800 + $0) }
                    _ = try await service.waitForJob(try await service.enrich(books))
                    try await receiver.waitForDeliveries(6)
                    let first = Set(receiver.deliveries.map(\.id))
                    #expect(first.count == 6)

                    let replay = try await Self.replay(service, hook.id, since: since)
                    try #require(replay.status == 202, "\(replay.text)")
                    let body = try replay.json
                    let id = try #require(body["id"] as? String)
                    let location = try #require(replay.header("Location"))
                    #expect(location == "/v1/webhooks/\(hook.id)/replays/\(id)")
                    // Recorded only: nothing was queued inside the request.
                    #expect(body["status"] as? String == "scheduled" && body["queued"] as? Int == 0 && body["webhookId"] as? String == hook.id, "\(body)")
                    #expect(body["finishedAt"] is NSNull && body["until"] is String)
                    let again = try await Self.replay(service, hook.id, since: since)
                    #expect(again.status == 409 && again.text.contains(id), "one replay of a subscription at a time: \(again.text)")

                    let done = try await Self.waitForReplay(service.client, location)
                    #expect(done["queued"] as? Int == 6 && done["inFlight"] as? Int == 0, "\(done)")
                    #expect(done["finishedAt"] is String)
                    try await receiver.waitForDeliveries(12)
                    try await waitUntil(deadline: .seconds(10), interval: .milliseconds(50)) {
                        try await WebhookDeliveryTests.deliveries(service, hook.id).allSatisfy { $0["status"] as? String == "delivered" }
                    }
                    #expect(Self.counts(receiver) == Dictionary(uniqueKeysWithValues: first.map { ($0, 2) }), "each event once more, same webhook-id")

                    // A finished replay frees the subscription for the next; an unknown replay is 404.
                    #expect(try await Self.replay(service, hook.id, since: Date()).status == 202)
                    #expect(try await service.client.get("/v1/webhooks/\(hook.id)/replays/rpl_nope").status == 404)
                }
            }
        }
    }

    @Test("a delivery in flight when the replay reaches it is left alone, not sent a second time alongside")
    func leavesADeliveryInFlightAlone() async throws {
        // The first answer takes 5 s: the replay runs while the delivery is being sent.
        try await WebhookReceiver.with(script: [.slow(.seconds(5))]) { receiver in
            try await FakeWorld.with { world in
                try await TestService.with(WebhookDeliveryTests.settings(world)) { service in
                    let since = Date().addingTimeInterval(-1)
                    let hook = try await WebhookDeliveryTests.subscribe(service, url: receiver.url, types: ["enrichment.job.completed"])
                    _ = try await service.waitForJob(try await service.enrich([WebhookDeliveryTests.book("fl-1", seed: 9850)]))
                    try await receiver.waitForDeliveries(1)

                    let replay = try await Self.replay(service, hook.id, since: since)
                    try #require(replay.status == 202, "\(replay.text)")
                    let location = try #require(replay.header("Location"))
                    let done = try await Self.waitForReplay(service.client, location)
                    #expect(done["queued"] as? Int == 0 && done["inFlight"] as? Int == 1, "\(done)")
                    let during = try #require(try await WebhookDeliveryTests.deliveries(service, hook.id).first)
                    #expect(during["status"] as? String == "pending" && (during["attempts"] as? [Any])?.isEmpty == true,
                            "the replay finished while the first attempt was still waiting for its answer: \(during)")

                    try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) {
                        (try await WebhookDeliveryTests.deliveries(service, hook.id)).first?["status"] as? String == "delivered"
                    }
                    let delivered = try #require(try await WebhookDeliveryTests.deliveries(service, hook.id).first)
                    #expect((delivered["attempts"] as? [Any])?.count == 1, "\(delivered)")
                    #expect(receiver.deliveries.count == 1, "sent once, not twice at once")

                    // Not in flight any more: a replay now sends it again, its first attempt kept.
                    let second = try await Self.replay(service, hook.id, since: since)
                    let secondDone = try await Self.waitForReplay(service.client, try #require(second.header("Location")))
                    #expect(secondDone["queued"] as? Int == 1 && secondDone["inFlight"] as? Int == 0, "\(secondDone)")
                    try await receiver.waitForDeliveries(2)
                    try await waitUntil(deadline: .seconds(10), interval: .milliseconds(50)) {
                        ((try await WebhookDeliveryTests.deliveries(service, hook.id)).first?["attempts"] as? [Any])?.count == 2
                    }
                    #expect(Set(receiver.deliveries.map(\.id)).count == 1)
                }
            }
        }
    }

    @Test("a replay stopped by a shutdown goes on after the restart from its last page: each event is sent again once")
    func resumesAfterRestart() async throws {
        let events = 6
        // The original deliveries are answered at once; every later one takes 700 ms, so the replay (one
        // event a page, the next page once the last is sent) is still running when the service stops.
        try await WebhookReceiver.with(script: Array(repeating: .status(204), count: events), then: .slow(.milliseconds(700))) { receiver in
            try await FakeWorld.with { world in
                try await TestDatabase.with("replayrestart") { database in
                    let settings = WebhookDeliveryTests.settings(world, [
                        ConfigurationKey.webhookReplayPageSize.name: "1", "ENRICHER_DATABASE": database.name,
                    ])
                    let since = Date().addingTimeInterval(-1)
                    let (hook, location) = try await TestService.with(settings, keepDatabase: true) { service in
                        let hook = try await WebhookDeliveryTests.subscribe(service, url: receiver.url)
                        let books = (0..<(events - 1)).map { WebhookDeliveryTests.book("rs-\($0)", seed: 9900 + $0) }
                        _ = try await service.waitForJob(try await service.enrich(books))
                        try await receiver.waitForDeliveries(events)
                        try await waitUntil(deadline: .seconds(10), interval: .milliseconds(50)) {
                            try await WebhookDeliveryTests.deliveries(service, hook.id).allSatisfy { $0["status"] as? String == "delivered" }
                        }
                        let replay = try await Self.replay(service, hook.id, since: since)
                        try #require(replay.status == 202, "\(replay.text)")
                        try await receiver.waitForDeliveries(events + 2)
                        return (hook.id, try #require(replay.header("Location")))
                    }
                    let replays = database.collection(WebhookStore.replaysCollection)
                    let stopped = try #require(try await replays.findOne([:]))
                    let queuedAtStop = Int(stopped["queued"]?.int64Value ?? 0)
                    #expect(stopped["status"]?.stringValue == "running" && stopped["owner"] == nil, "given back at shutdown, not finished: \(stopped)")
                    #expect(queuedAtStop >= 2 && queuedAtStop < events && stopped["cursor"] != nil, "\(stopped)")

                    try await TestService.with(settings, keepDatabase: true) { service in
                        let done = try await Self.waitForReplay(service.client, location, deadline: .seconds(60))
                        #expect(done["queued"] as? Int == events && done["inFlight"] as? Int == 0, "every event queued once, none twice: \(done)")
                        try await waitUntil(deadline: .seconds(30), interval: .milliseconds(50)) {
                            try await WebhookDeliveryTests.deliveries(service, hook).allSatisfy { $0["status"] as? String == "delivered" }
                        }
                        let deliveries = try await WebhookDeliveryTests.deliveries(service, hook)
                        #expect(deliveries.count == events)
                        // Delivered once before the replay and once after it: an event queued again by the
                        // second service as well would have a third attempt.
                        for delivery in deliveries {
                            let attempts = delivery["attempts"] as? [[String: Any]] ?? []
                            #expect(attempts.count == 2 && attempts.allSatisfy { ($0["statusCode"] as? Int).map { (200..<300).contains($0) } == true },
                                    "\(delivery)")
                        }
                    }
                    // The receiver saw each id twice, and one more time at most for the one whose answer the
                    // shutdown cut off (sent again, as an unanswered delivery is).
                    let counts = Self.counts(receiver)
                    #expect(counts.count == events && counts.values.allSatisfy { $0 == 2 || $0 == 3 }, "\(counts)")
                    #expect(counts.values.filter { $0 == 3 }.count <= 1, "\(counts)")
                }
            }
        }
    }

    @Test("a replay is held with a lease: another instance takes it only when the lease runs out, and the first can no longer save it")
    func deadInstanceTakenOver() async throws {
        try await TestDatabase.with("replaylease") { database in
            let store = WebhookStore(database: database)
            try await store.ensureIndexes()
            let now = Date()
            let endpoint = try await store.createSubscription(url: "http://127.0.0.1:1/hook", eventTypes: WebhookEventType.allCases, secret: .generate())
            guard case .scheduled(let scheduled) = try await store.scheduleReplay(endpoint, since: now.addingTimeInterval(-60), now: now) else {
                throw TestFailure("the replay was not scheduled")
            }
            guard case .alreadyActive(let active) = try await store.scheduleReplay(endpoint, since: now, now: now) else {
                throw TestFailure("a second replay of the same subscription was scheduled")
            }
            #expect(active.id == scheduled.id)

            var first = try #require(try await store.claimReplay(owner: "a", lease: .seconds(30), now: now))
            #expect(first.id == scheduled.id && first.status == .running)
            #expect(try await store.claimReplay(owner: "b", lease: .seconds(30), now: now.addingTimeInterval(20)) == nil, "the lease holds")
            let second = try #require(try await store.claimReplay(owner: "b", lease: .seconds(30), now: now.addingTimeInterval(31)),
                                      "a dead instance's replay is taken over")
            #expect(second.id == scheduled.id)
            first.renew(lease: .seconds(30), now: now.addingTimeInterval(32))
            #expect(try await store.saveReplay(first, heldBy: "a") == false, "the first instance lost it")

            var finished = second
            finished.advance(by: .init(events: 0, queued: 0, inFlight: 0, last: nil), pageSize: 10, now: now.addingTimeInterval(33))
            #expect(try await store.saveReplay(finished, heldBy: "b"))
            #expect(try await store.replay(scheduled.id, endpointID: endpoint.id)?.status == .completed)
            #expect(try await store.claimReplay(owner: "c", lease: .seconds(30), now: now.addingTimeInterval(100)) == nil, "a finished replay is not run again")
            guard case .scheduled = try await store.scheduleReplay(endpoint, since: now, now: now.addingTimeInterval(34)) else {
                throw TestFailure("a finished replay still holds the subscription")
            }
        }
    }
}
