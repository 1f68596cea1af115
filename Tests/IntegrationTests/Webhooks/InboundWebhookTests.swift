import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// `POST /v1/inbound/catalog`: the catalog's signed events create, update and delete entities.
@Suite("Inbound catalog webhooks", .serialized)
struct InboundWebhookTests {
    static let secret = WebhookSecret.generate()

    struct Signed {
        var id: String
        var body: Data
        var headers: [String: String]
    }

    /// A delivery as the catalog sends it, signed with `secret` at `time`.
    static func signed(_ type: String, _ data: [String: Any], id: String = "msg_\(UUID().uuidString.prefix(12))",
                       secret: WebhookSecret = secret, time: Date = Date()) throws -> Signed {
        let body = try JSONSerialization.data(withJSONObject: ["type": type, "timestamp": time.ISO8601Format(), "data": data], options: [.sortedKeys])
        let timestamp = Int64(time.timeIntervalSince1970)
        return Signed(id: id, body: body, headers: [
            "webhook-id": id, "webhook-timestamp": "\(timestamp)",
            "webhook-signature": secret.signature(id: id, timestamp: timestamp, body: Array(body)),
        ])
    }

    static func send(_ service: TestService, _ delivery: Signed, body: Data? = nil) async throws -> TestClient.Response {
        try await service.client.send("POST", "/v1/inbound/catalog", body: body ?? delivery.body, contentType: "application/json",
                                      auth: .none, headers: delivery.headers)
    }

    static func settings(_ world: FakeWorld) -> [String: String] {
        world.environment.merging([ConfigurationKey.inboundSecret.name: secret.text]) { $1 }
    }

    /// As the catalog sends it, with fields Enricher does not use.
    static var book: [String: Any] {
        ["mediaType": "books", "id": "in-1", "title": "Inbound", "isbn": Identifiers.isbn13(9500), "format": "Hardcover", "pages": 320]
    }

    @Test("entity.created stores the entity and queues its lookup; the same webhook-id again is processed once")
    func createdOnce() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let delivery = try Self.signed("entity.created", Self.book)
                let first = try await Self.send(service, delivery)
                #expect(first.status == 200, "\(first.text)")
                let receipt = try first.json
                #expect(receipt["status"] as? String == "processed" && receipt["entity"] as? String == "books/in-1", "\(first.text)")
                let job = try #require(receipt["enrichmentJobId"] as? String, "\(first.text)")
                _ = try await service.waitForJob(job)
                #expect(try await service.entity(.books, "in-1")["status"] as? String == "found")

                let again = try await Self.send(service, delivery)
                let againStatus = try again.json["status"] as? String
                #expect(again.status == 200 && againStatus == "duplicate", "\(again.text)")
                #expect(try await service.database.collection(JobStore.jobsCollection).countDocuments() == 1, "the duplicate queued no second job")

                var updated = Self.book
                updated["title"] = "Renamed"
                #expect(try await Self.send(service, try Self.signed("entity.updated", updated)).status == 200)
                #expect(try await service.entity(.books, "in-1")["title"] as? String == "Renamed")
                #expect(try await service.database.collection(JobStore.jobsCollection).countDocuments() == 1, "an entity with a cover is not looked up again")

                let deleted = try await Self.send(service, try Self.signed("entity.deleted", ["mediaType": "books", "id": "in-1"]))
                #expect(deleted.status == 200, "\(deleted.text)")
                #expect(try await service.client.get("/v1/entities/books/in-1").status == 404)
            }
        }
    }

    @Test("a tampered body, a wrong secret, a stale timestamp or no signature get 401 and store nothing")
    func refused() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(Self.settings(world)) { service in
                let genuine = try Self.signed("entity.created", Self.book)
                var tampered = Self.book
                tampered["title"] = "Tampered"
                let cases: [(String, Signed, Data?)] = [
                    ("a tampered body", genuine, try JSONSerialization.data(withJSONObject: ["type": "entity.created", "data": tampered])),
                    ("a wrong secret", try Self.signed("entity.created", Self.book, secret: .generate()), nil),
                    ("a stale timestamp", try Self.signed("entity.created", Self.book, time: Date().addingTimeInterval(-301)), nil),
                    ("no signature", Signed(id: "msg_x", body: genuine.body, headers: ["webhook-id": "msg_x"]), nil),
                ]
                for (name, delivery, body) in cases {
                    let response = try await Self.send(service, delivery, body: body)
                    #expect(response.status == 401, "\(name): \(response.status) \(response.text)")
                    #expect(response.header("Content-Type") == "application/problem+json", "\(name)")
                }
                #expect(try await service.database.collection(EntityRepository.collectionName).countDocuments() == 0)
                #expect(try await service.database.collection(WebhookStore.inboundCollection).countDocuments() == 0)
                // A bearer key is no substitute for the signature.
                let keyed = try await service.client.send("POST", "/v1/inbound/catalog", body: genuine.body, contentType: "application/json")
                #expect(keyed.status == 401)
                // The genuine delivery still goes through afterwards.
                #expect(try await Self.send(service, genuine).status == 200)
            }
        }
    }

    @Test("without ENRICHER_INBOUND_SECRET every delivery is refused, saying what to set")
    func off() async throws {
        try await TestService.with { service in
            let response = try await Self.send(service, try Self.signed("entity.created", Self.book))
            #expect(response.status == 401 && response.text.contains("ENRICHER_INBOUND_SECRET"), "\(response.text)")
        }
    }
}

