import BSON
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// `GET /v1/enrichments/{id}/events` and `GET /v1/events` over real HTTP on loopback, as the status page
/// (a `fetch()` stream reader) and `curl -N` read them.
@Suite("Event streams", .serialized)
struct EventStreamTests {
    /// The fakes, a one-second heartbeat and a quick poll.
    static func settings(_ world: FakeWorld, _ extra: [String: String] = [:]) -> [String: String] {
        world.environment.merging([
            ConfigurationKey.eventsHeartbeat.name: "1",
            ConfigurationKey.eventsPoll.name: "100",
        ].merging(extra) { $1 }) { $1 }
    }

    static func books(_ prefix: String, _ count: Int, seed: Int) -> [(MediaType, String, [String: Any])] {
        (0..<count).map { (.books, "\(prefix)-\($0)", ["isbn": Identifiers.isbn13(seed + $0), "title": "Book \(seed + $0)"]) }
    }

    static func messages(_ items: [EventStreamClient.Item]) -> [ServerSentMessage] {
        items.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }

    static func entityEvents(_ items: [EventStreamClient.Item]) -> [ServerSentMessage] {
        messages(items).filter { $0.event == "enrichment.entity.completed" }
    }

    /// The `id:` of every message that has one, as numbers.
    static func ids(_ items: [EventStreamClient.Item]) throws -> [Int64] {
        try messages(items).compactMap(\.id).map { try #require(Int64($0), "id \($0) is not a number") }
    }

    /// Every event body the outbox holds for a job, by event id (the webhook bodies).
    static func outboxBodies(_ service: TestService, job: String) async throws -> [String: String] {
        var bodies: [String: String] = [:]
        let tasks = try await service.database.collection(JobStore.tasksCollection).find(["jobId": .string(job)])
        let jobs = try await service.database.collection(JobStore.jobsCollection).find(["_id": .string(job)])
        for document in tasks + jobs {
            if let event = document["event"]?.documentValue, let id = event["id"]?.stringValue, let body = event["body"]?.stringValue {
                bodies[id] = body
            }
        }
        return bodies
    }

    @Test("a 50-entity job's stream, dropped half-way and resumed with Last-Event-ID, brings every entity exactly once, then the final event and the end")
    func dropAndResume() async throws {
        try await FakeWorld.with { world in
            // Slow enough that the job is still running when the first connection is dropped.
            world.setEveryScenario(.slow(.milliseconds(40)))
            try await TestService.with(Self.settings(world, [ConfigurationKey.workers.name: "2"])) { service in
                let port = service.client.port
                let job = try await service.enrich(Self.books("sse", 50, seed: 9100))
                let first = try await EventStreamClient.open(port: port, "/v1/enrichments/\(job)/events")
                #expect(first.status == 200)
                #expect(first.header("Content-Type") == "text/event-stream")
                #expect(first.header("Cache-Control") == "no-store")
                #expect(first.header("Transfer-Encoding") == "chunked")
                var seen = 0
                let before = try await first.read(within: .seconds(60)) { item in
                    if case .message(let message) = item, message.event == "enrichment.entity.completed" { seen += 1 }
                    return seen == 20
                }
                first.close()
                let opening = try #require(Self.messages(before).first)
                #expect(opening.event == "progress" && opening.id == nil, "\(opening)")
                let progress = try opening.json()
                #expect(progress["jobId"] as? String == job)
                #expect(progress["total"] as? Int == 50)
                #expect(Set(progress.keys) == ["jobId", "status", "total", "counts", "percent"], "\(progress)")
                let lastID = try #require(Self.entityEvents(before).last?.id)
                // Entities go on finishing while nobody listens.
                try await waitUntil(deadline: .seconds(60), interval: .milliseconds(50)) {
                    try await service.client.job(job).finished >= 35
                }

                let second = try await EventStreamClient.open(port: port, "/v1/enrichments/\(job)/events", headers: [("Last-Event-ID", lastID)])
                #expect(second.status == 200)
                let after = try await second.read(within: .seconds(60)) { _ in false }
                second.close()

                #expect(after.last == .end, "the stream ends after the final event")
                let afterMessages = Self.messages(after)
                #expect(afterMessages.first?.event == "progress", "a resumed stream starts with the progress: \(afterMessages.first.map(String.init(describing:)) ?? "")")
                let final = try #require(afterMessages.last)
                #expect(final.event == "enrichment.job.completed", "\(final)")
                let closing = try #require(afterMessages.dropLast().last)
                #expect(closing.event == "progress", "the final event follows a progress: \(closing)")
                let done = try closing.json()
                #expect(done["status"] as? String == "completed" && done["percent"] as? Int == 100, "\(done)")
                let shown = try await service.client.job(job)
                #expect(done["counts"] as? [String: Int] == shown.counts, "progress counts \(done) vs GET \(shown)")

                // Every entity exactly once across both connections, in cursor order, none repeated.
                let entities = Self.entityEvents(before) + Self.entityEvents(after)
                let entityIDs = try entities.map { try ($0.json()["data"] as? [String: Any])?["entityId"] as? String ?? "?" }
                #expect(entityIDs.count == 50, "\(entityIDs.count) entity events")
                #expect(Set(entityIDs) == Set((0..<50).map { "sse-\($0)" }), "\(entityIDs.sorted())")
                let ids = try Self.ids(before) + Self.ids(after)
                #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids must rise without repeats: \(ids)")
                #expect(try Self.ids(after).allSatisfy { $0 > Int64(lastID)! })

                // Each event is the webhook event's body, byte for byte.
                let bodies = try await Self.outboxBodies(service, job: job)
                #expect(bodies.count == 51)
                for message in entities + [final] {
                    let body = try #require(message.data)
                    #expect(bodies.values.contains(body), "not a webhook body: \(message)")
                }
                #expect(final.data == bodies["evt_\(job)"])
            }
        }
    }

    @Test("a finished job's stream replays its events and the final one, then ends; resuming after the final answers 204")
    func finishedJobReplays() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let port = service.client.port
                let job = try await service.enrich(Self.books("done", 5, seed: 9300))
                _ = try await service.waitForJob(job)
                // The relay logs the final event shortly after the job completes; wait for it to be there.
                try await waitUntil(deadline: .seconds(20), interval: .milliseconds(50)) {
                    let log = try await service.database.collection(EventLog.collectionName).countDocuments(["jobId": .string(job)])
                    return log == 6
                }
                let stream = try await EventStreamClient.open(port: port, "/v1/enrichments/\(job)/events")
                let items = try await stream.read(within: .seconds(10)) { _ in false }
                stream.close()
                #expect(items.last == .end)
                let messages = Self.messages(items)
                #expect(messages.map { $0.event ?? "-" } == ["progress"] + Array(repeating: "enrichment.entity.completed", count: 5)
                        + ["progress", "enrichment.job.completed"], "\(messages)")
                let finalID = try #require(messages.last?.id)

                let resumed = try await EventStreamClient.open(port: port, "/v1/enrichments/\(job)/events", headers: [("Last-Event-ID", finalID)])
                #expect(resumed.status == 204)
                resumed.close()

                // Resuming in the middle of a finished job: the rest, then the end.
                let middle = try #require(Self.entityEvents(items)[2].id)
                let rest = try await EventStreamClient.open(port: port, "/v1/enrichments/\(job)/events", headers: [("Last-Event-ID", middle)])
                let restItems = try await rest.read(within: .seconds(10)) { _ in false }
                rest.close()
                #expect(Self.messages(restItems).map { $0.event ?? "-" } == ["progress", "enrichment.entity.completed", "enrichment.entity.completed",
                                                                              "progress", "enrichment.job.completed"], "\(restItems)")
            }
        }
    }

    @Test("a quiet stream sends a heartbeat comment at the configured interval")
    func heartbeat() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let stream = try await EventStreamClient.open(port: service.client.port, "/v1/events")
                #expect(stream.status == 200)
                let clock = ContinuousClock()
                let started = clock.now
                let first = try await stream.next(within: .seconds(5))
                let second = try await stream.next(within: .seconds(5))
                let elapsed = started.duration(to: clock.now)
                stream.close()
                #expect(first == .comment("heartbeat") && second == .comment("heartbeat"), "\(first) \(second)")
                // Two heartbeats at a one-second interval: about two seconds, not at once and not the default 15.
                #expect(elapsed >= .milliseconds(1500) && elapsed < .seconds(5), "\(elapsed)")
            }
        }
    }

    /// Not 1 to 19 ASCII digits, or past the newest event (99: the log holds a few).
    static let badCursors = ["abc", "-1", "+1", "1.5", "1 2", "0x10", "\u{0661}\u{0662}", "12345678901234567890", "9223372036854775808", "99"]

    @Test("malformed or foreign Last-Event-ID values get 400 problem+json on both streams")
    func badCursor() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let port = service.client.port
                let job = try await service.enrich(Self.books("bad", 1, seed: 9400))
                for value in Self.badCursors {
                    for path in ["/v1/enrichments/\(job)/events", "/v1/events"] {
                        let answer = try await EventStreamClient.open(port: port, path, headers: [("Last-Event-ID", value)])
                        #expect(answer.status == 400, "\(path) with Last-Event-ID \(value.debugDescription): \(answer.status)")
                        #expect(answer.header("Content-Type") == "application/problem+json")
                        let problem = try await answer.problem()
                        #expect((problem["detail"] as? String)?.contains("Last-Event-ID") == true, "\(value.debugDescription): \(problem)")
                        answer.close()
                    }
                }
            }
        }
    }

    @Test("two Last-Event-ID headers, an empty one, or follow=maybe get 400; an unknown job 404, at once")
    func otherBadRequests() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let port = service.client.port
                for (path, headers) in [("/v1/events", [("Last-Event-ID", "0"), ("Last-Event-ID", "0")]), ("/v1/events", [("Last-Event-ID", "")]),
                                        ("/v1/events?follow=maybe", [])] {
                    let answer = try await EventStreamClient.open(port: port, path, headers: headers)
                    #expect(answer.status == 400, "\(path) \(headers): \(answer.status)")
                    #expect(answer.header("Content-Type") == "application/problem+json")
                    answer.close()
                }
                let clock = ContinuousClock()
                let started = clock.now
                let unknown = try await EventStreamClient.open(port: port, "/v1/enrichments/job_abcdefghijklmnopqrst/events")
                #expect(unknown.status == 404)
                #expect(unknown.header("Content-Type") == "application/problem+json")
                #expect(try await unknown.problem()["detail"] as? String == "no enrichment job job_abcdefghijklmnopqrst")
                #expect(started.duration(to: clock.now) < .seconds(2))
                unknown.close()
                let anonymous = try await EventStreamClient.open(port: port, "/v1/events", apiKey: nil)
                #expect(anonymous.status == 401)
                anonymous.close()
            }
        }
    }

    @Test("GET /v1/events carries the events of two jobs as they happen, and resumes after any of them")
    func everyJob() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let port = service.client.port
                let stream = try await EventStreamClient.open(port: port, "/v1/events")
                #expect(stream.status == 200)
                let jobA = try await service.enrich(Self.books("a", 3, seed: 9500))
                let jobB = try await service.enrich(Self.books("b", 4, seed: 9600))
                var finished: Set<String> = []
                let items = try await stream.read(within: .seconds(60)) { item in
                    if case .message(let message) = item, message.event == "enrichment.job.completed",
                       let job = (try? message.json())?["data"] as? [String: Any], let id = job["jobId"] as? String {
                        finished.insert(id)
                    }
                    return finished.count == 2
                }
                stream.close()
                #expect(finished == [jobA, jobB])
                let messages = Self.messages(items)
                #expect(!messages.contains { $0.event == "progress" }, "no progress on the stream of every job")
                let byJob = Dictionary(grouping: try Self.entityEvents(items).map { try ($0.json()["data"] as? [String: Any])?["jobId"] as? String ?? "?" },
                                       by: { $0 }).mapValues(\.count)
                #expect(byJob == [jobA: 3, jobB: 4], "\(byJob)")
                let ids = try Self.ids(items)
                #expect(ids.count == messages.count && ids == ids.sorted() && Set(ids).count == ids.count, "\(ids)")

                // From the first event's id, with follow=false: exactly the others, then the end.
                let replay = try await EventStreamClient.open(port: port, "/v1/events?follow=false", headers: [("Last-Event-ID", String(ids[0]))])
                let replayed = try await replay.read(within: .seconds(10)) { _ in false }
                replay.close()
                #expect(try Self.ids(replayed) == Array(ids.dropFirst()), "\(replayed)")
                #expect(replayed.last == .end)
            }
        }
    }

    @Test("past ENRICHER_EVENTS_MAX_STREAMS a stream gets 503 with Retry-After; closed and HEAD streams give their place back")
    func streamLimit() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world, [ConfigurationKey.eventsMaxStreams.name: "2"])) { service in
                let port = service.client.port
                let one = try await EventStreamClient.open(port: port, "/v1/events")
                let two = try await EventStreamClient.open(port: port, "/v1/events")
                #expect(one.status == 200 && two.status == 200)
                let three = try await EventStreamClient.open(port: port, "/v1/events")
                #expect(three.status == 503)
                #expect(three.header("Retry-After") == "5")
                #expect((try await three.problem()["detail"] as? String)?.contains("ENRICHER_EVENTS_MAX_STREAMS") == true)
                three.close()
                one.close()
                // The stream notices its client left at its next write (a heartbeat, within a second).
                try await waitUntil(deadline: .seconds(5), interval: .milliseconds(20)) { service.application.openEventStreams == 1 }
                let head = try await EventStreamClient.open(port: port, "/v1/events", method: "HEAD")
                #expect(head.status == 200)
                head.close()
                try await waitUntil(deadline: .seconds(5), interval: .milliseconds(20)) { service.application.openEventStreams == 1 }
                let four = try await EventStreamClient.open(port: port, "/v1/events")
                #expect(four.status == 200)
                four.close()
                two.close()
            }
        }
    }

    @Test("at shutdown a stream ends at once and cleanly, long before the shutdown grace")
    func shutdownEndsStreams() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world, [
                ConfigurationKey.shutdownGrace.name: "30", ConfigurationKey.eventsHeartbeat.name: "60",
            ])) { service in
                let stream = try await EventStreamClient.open(port: service.client.port, "/v1/events")
                #expect(stream.status == 200)
                let clock = ContinuousClock()
                let started = clock.now
                let stopping = Task { await service.application.stop() }
                let item = try await stream.next(within: .seconds(5))
                #expect(item == .end, "\(item)")
                #expect(started.duration(to: clock.now) < .seconds(3))
                stream.close()
                await stopping.value
            }
        }
    }
}
