import EnricherCore
import Foundation
import Testing

/// Work shared between jobs: one lookup per entity at a time whatever the number of jobs naming it, and
/// claims that take turns across jobs and media types at the database.
@Suite("Jobs sharing the queue", .serialized)
struct SharedWorkTests {
    @Test("two jobs naming the same 50 entities make 50 lookups, not 100; both report every outcome and both callbacks fire")
    func oneLookupPerEntity() async throws {
        try await WebhookReceiver.with { receiver in
            try await FakeWorld.with { world in
                // Slow enough that both jobs are posted before any lookup ends.
                world[.openLibrary].setScenario(.slow(.milliseconds(500)), for: .openLibrary)
                let settings = WebhookDeliveryTests.settings(world, [
                    ConfigurationKey.chainBooks.name: "openlibrary",
                    ConfigurationKey.providersDisabled.name: "googlebooks,upcitemdb,giantbomb,igdb",
                    ConfigurationKey.workers.name: "8",
                ])
                try await TestService.with(settings) { service in
                    let books = (0..<50).map { ["mediaType": "books", "id": "s\($0)", "isbn": Identifiers.isbn13(6000 + $0)] }
                    let stored = try await service.client.post("/v1/entities/batch", ["entities": books])
                    try #require(stored.status == 200, "\(stored.text)")
                    let items = books.map { ["mediaType": $0["mediaType"]!, "id": $0["id"]!] }
                    var jobs: [String] = []
                    for _ in 0..<2 {
                        let created = try await service.client.post("/v1/enrichments", ["entities": items, "callbackUrl": receiver.url])
                        try #require(created.status == 202, "\(created.text)")
                        jobs.append(try #require(try created.json["id"] as? String))
                    }
                    for job in jobs {
                        let final = try await service.waitForJob(job, deadline: .seconds(120))
                        #expect((final["counts"] as? [String: Int])?["found"] == 50, "job \(job): \(String(describing: final["counts"]))")
                    }
                    let lookups = world[.openLibrary].requests(to: .openLibrary).map { $0.query["bibkeys"] ?? "" }
                    #expect(lookups.count == 50 && Set(lookups).count == 50, "\(lookups.count) lookups of \(Set(lookups).count) books")
                    // Deliveries go out in parallel: a job's own event may arrive before its entities' last ones.
                    // (Not met by the deadline: the expectations below say what is missing.)
                    try? await waitUntil(deadline: .seconds(60), interval: .milliseconds(100)) {
                        let types = receiver.deliveries.map { $0.json["type"] as? String }
                        return types.filter { $0 == "enrichment.job.completed" }.count >= 2
                            && types.filter { $0 == "enrichment.entity.completed" }.count >= 100
                    }
                    let completed = Set(receiver.deliveries.map(\.json).filter { $0["type"] as? String == "enrichment.job.completed" }
                        .compactMap { ($0["data"] as? [String: Any])?["jobId"] as? String })
                    #expect(completed == Set(jobs), "job events for \(completed), expected \(jobs)")
                    let entityEvents = receiver.deliveries.map(\.json).filter { $0["type"] as? String == "enrichment.entity.completed" }
                    #expect(entityEvents.count >= 100, "\(entityEvents.count) entity events for 2 jobs of 50")
                }
            }
        }
    }

    @Test("a job of 1,000 movies posted first and a job of 10 books a second later: the books start within the first few claims")
    func fairClaims() async throws {
        try await FakeWorld.with { world in
            let settings = world.environment.merging([
                ConfigurationKey.chainBooks.name: "openlibrary", ConfigurationKey.chainMovies.name: "tmdb",
                ConfigurationKey.providersDisabled.name: "googlebooks,upcitemdb,giantbomb,igdb",
                ConfigurationKey.workers.name: "1",
                ConfigurationKey.queueSize.name: "2",
            ]) { $1 }
            try await TestService.with(settings) { service in
                let movies = (0..<1000).map { ["mediaType": "movies", "id": "m\($0)", "barcode": Identifiers.upcA(20_000 + $0), "title": "The Matrix"] }
                let books = (0..<10).map { ["mediaType": "books", "id": "b\($0)", "isbn": Identifiers.isbn13(7000 + $0)] }
                for entities in [movies, books] {
                    let stored = try await service.client.post("/v1/entities/batch", ["entities": entities])
                    try #require(stored.status == 200, "\(stored.text)")
                }
                let client = service.client
                let movieJob = try await client.post("/v1/enrichments", ["entities": movies.map { ["mediaType": "movies", "id": $0["id"]!] }])
                try #require(movieJob.status == 202, "\(movieJob.text)")
                try await Task.sleep(for: .seconds(1))
                let before = world[.tmdb].requests(to: .tmdb).count
                let bookJob = try #require(try await client.post("/v1/enrichments", ["entities": books.map { ["mediaType": "books", "id": $0["id"]!] }])
                    .json["id"] as? String)
                let final = try await service.waitForJob(bookJob, deadline: .seconds(60))
                #expect((final["counts"] as? [String: Int])?["found"] == 10, "\(String(describing: final["counts"]))")
                let firstBook = try #require(world[.openLibrary].requests(to: .openLibrary).map(\.time).min())
                let moviesFirst = world[.tmdb].requests(to: .tmdb).filter { $0.time < firstBook }.count
                // What the worker and the queue already held when the books came, and a claim in progress.
                #expect(moviesFirst <= before + 4, "\(moviesFirst - before) movie lookups after the books were posted and before the first book's")
                #expect(world[.tmdb].requests(to: .tmdb).count < 1000, "the books waited for every movie")
            }
        }
    }
}
