import EnricherCore
import Enrichment
import Foundation
import Testing

/// TMDb, IGDB and GiantBomb look titles up through UPCitemdb. A UPCitemdb failure there is UPCitemdb's:
/// it goes through UPCitemdb's breaker and counts there, never against the provider that asked.
@Suite("A failure counts against the provider that failed", .serialized)
struct TitleSourceBreakerTests {
    static func health(_ service: TestService, _ provider: String) async throws -> [String: Any] {
        let providers = try await service.client.get("/v1/providers").json["providers"] as? [[String: Any]] ?? []
        let view = try #require(providers.first { $0["name"] as? String == provider }, "no \(provider) in GET /v1/providers")
        return try #require(view["health"] as? [String: Any], "\(provider) has no health: \(view)")
    }

    @Test("UPCitemdb answering 500 to every title lookup opens UPCitemdb's breaker; TMDb's stays closed and uncounted")
    func upcOutageIsUPCitemdbs() async throws {
        try await FakeWorld.with { world in
            let upc = world[.upcItemDB], tmdb = world[.tmdb]
            upc.scenario = .serverError
            var settings = world.environment
            settings.merge([
                ConfigurationKey.chainMovies.name: "tmdb,upcitemdb",
                ConfigurationKey.breakerWindow.name: "4",
                ConfigurationKey.breakerMinimumCalls.name: "4",
                ConfigurationKey.breakerWait.name: "300",
                ConfigurationKey.retryAttempts.name: "1",
                // One entity at a time: the breaker opens after exactly its minimum of calls.
                ConfigurationKey.workers.name: "1",
                // A skipped provider is a throttle: reported at once rather than retried later.
                ConfigurationKey.throttleDeferrals.name: "0",
            ]) { $1 }
            try await TestService.with(settings) { service in
                // Barcodes only: TMDb needs UPCitemdb's product title for each.
                let movies = (0..<8).map { (MediaType.movies, "outage-\($0)", ["barcode": Identifiers.upcA(7300 + $0)] as [String: Any]) }
                let job = try await service.waitForJob(try await service.enrich(movies))
                let snapshot = JobSnapshot(json: job)
                #expect(snapshot.queued == 0 && snapshot.counts["found"] == 0, "\(snapshot)")

                let upcHealth = try await Self.health(service, "upcitemdb")
                let tmdbHealth = try await Self.health(service, "tmdb")
                #expect(upcHealth["breaker"] as? String == "open", "upcitemdb: \(upcHealth)")
                #expect(tmdbHealth["breaker"] as? String == "closed", "tmdb: \(tmdbHealth)")
                #expect(tmdbHealth["callsInWindow"] as? Int == 0, "a title lookup that failed counted against TMDb: \(tmdbHealth)")
                #expect(tmdb.requests(to: .tmdb).isEmpty, "TMDb was asked without a title")
                // Once UPCitemdb's breaker is open, no more requests reach it.
                #expect(upc.requests(to: .upcItemDB).count == 4, "\(upc.requests(to: .upcItemDB).count) requests reached UPCitemdb")

                // The reason names the failure and whose it was.
                let entity = try await service.entity(.movies, "outage-0")
                let reason = (entity["imageLookup"] as? [String: Any])?["failureReason"] as? String ?? ""
                #expect(reason.contains("tmdb: title lookup via upcitemdb: HTTP 500"), "\(entity)")

                // TMDb itself is healthy, and its own answers are what its breaker counts.
                let titled = try await service.enrichOne(.movies, "titled", ["title": "The Matrix", "barcode": Identifiers.upcA(7399)])
                #expect(titled.entity["status"] as? String == "found", "\(titled.entity)")
                let after = try await Self.health(service, "tmdb")
                #expect(after["breaker"] as? String == "closed" && after["callsInWindow"] as? Int == 1, "tmdb: \(after)")
            }
        }
    }
}
