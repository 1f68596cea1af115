import EnricherCore
import Enrichment
import Foundation
import Testing

/// A worker never sits on an entity whose next provider has no free slot: the entity goes back to the
/// queue with what it found so far, due when the slot is, and the worker takes other work. Judged at
/// the fakes, by when requests arrived.
@Suite("Dispatch around a busy budget", .serialized)
struct BudgetDispatchTests {
    static let musicBarcode = Identifiers.ean13(40_000)

    /// One worker, which may wait half a second for a slot.
    static func settings(_ world: FakeWorld, _ extra: [String: String]) -> [String: String] {
        world.environment.merging([
            ConfigurationKey.workers.name: "1",
            ConfigurationKey.budgetWait.name: "500",
            ConfigurationKey.providersDisabled.name: "googlebooks,giantbomb,igdb",
            ConfigurationKey.logLevel.name: "error",
        ]) { $1 }.merging(extra) { $1 }
    }

    @Test("albums waiting for MusicBrainz's budget do not hold the only worker: the books after them are done first, nothing deferred")
    func busyBudgetDoesNotHoldTheWorker() async throws {
        try await FakeWorld.with { world in
            world[.musicBrainz].options.storedBarcode = Self.musicBarcode
            world[.musicBrainz].enforce(FakeLimit(services: [.musicBrainz, .coverArtArchive], imageHost: "coverartarchive.org", count: 1, window: .seconds(1)))
            let settings = Self.settings(world, [
                // A slot a second, shared by an album's four requests (search, release, Cover Art Archive, image).
                ConfigurationKey.musicBrainzRate.name: "1/s",
                ConfigurationKey.openLibraryRate.name: "20/s",
                ConfigurationKey.chainBooks.name: "openlibrary", ConfigurationKey.chainMusics.name: "musicbrainz",
                ConfigurationKey.providersDisabled.name: "googlebooks,giantbomb,igdb,upcitemdb",
                ConfigurationKey.workers.name: "2",
            ])
            try await TestService.with(settings) { service in
                // The albums first, two workers: while one does an album (four requests, a slot a second), the
                // other meets MusicBrainz's busy budget with the next album; sitting on it, the books would wait.
                let albums = (0..<2).map { (MediaType.musics, "a\($0)", ["barcode": Self.musicBarcode, "title": "Album \($0)", "artist": "Artist"] as [String: Any]) }
                let books = (0..<3).map { (MediaType.books, "b\($0)", ["isbn": Identifiers.isbn13(10_000 + $0)] as [String: Any]) }
                let job = try await service.enrich(albums + books)
                let client = service.client
                // While an album waits, its item says what for.
                try await waitUntil(deadline: .seconds(30)) {
                    let items = try await client.get("/v1/enrichments/\(job)?limit=10").json["items"] as? [[String: Any]] ?? []
                    return items.contains { ($0["detail"] as? String)?.contains("waiting for musicbrainz's rate budget") == true }
                }
                let final = try await service.waitForJob(job, deadline: .seconds(90))
                let counts = final["counts"] as? [String: Int] ?? [:]
                #expect(counts["found"] == 5 && counts["deferred"] == 0, "\(counts)")
                for item in final["items"] as? [[String: Any]] ?? [] {
                    #expect(item["attempts"] as? Int == 1, "waiting for our own budget counted as an attempt: \(item)")
                }
            }
            // An album's first request is its search; the second album's came after the first album's requests.
            let searches = world[.musicBrainz].requests.filter { $0.service == .musicBrainz && $0.path == "/ws/2/release/" }.map(\.time).sorted()
            let bookCalls = world[.openLibrary].requests.filter { $0.service == .openLibrary }.map(\.time)
            #expect(searches.count == 2 && bookCalls.count == 3, "\(searches.count) searches, \(bookCalls.count) book calls")
            if searches.count == 2, let lastBook = bookCalls.max() {
                #expect(lastBook < searches[1], "the books waited behind an album whose provider had no free slot")
            }
            #expect(world[.musicBrainz].refusedForRate == 0)
        }
    }

    @Test("a lookup postponed for a busy budget resumes where it stopped: the providers it asked are not asked again")
    func postponedLookupResumes() async throws {
        try await FakeWorld.with { world in
            world[.openLibrary].setScenario(.miss, for: .openLibrary)
            world[.openLibrary].setScenario(.miss, for: .openLibraryCovers)
            world[.upcItemDB].enforce(FakeLimit(services: [.upcItemDB], count: 1, window: .seconds(2)))
            let settings = Self.settings(world, [
                ConfigurationKey.upcItemDBRate.name: "30/min",
                ConfigurationKey.chainBooks.name: "openlibrary,upcitemdb",
            ])
            try await TestService.with(settings) { service in
                let job = try await service.enrich([
                    (.books, "r1", ["isbn": "978-0-441-01359-3"]),
                    (.books, "r2", ["isbn": Identifiers.isbn13(10_001)]),
                ])
                // The second book waits in the queue, not in a worker, with Open Library's answer kept.
                let tasks = service.database.collection(JobStore.tasksCollection)
                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) {
                    let waiting = try await tasks.findOne(["jobId": .string(job), "progress": ["$exists": true]])
                    return waiting?["progress"]?.documentValue?["asked"]?.arrayValue?.compactMap(\.stringValue) == ["openlibrary"]
                }
                let final = try await service.waitForJob(job, deadline: .seconds(60))
                let counts = final["counts"] as? [String: Int] ?? [:]
                #expect(counts["found"] == 2 && counts["deferred"] == 0, "\(counts)")
                for id in ["r1", "r2"] {
                    let cover = try await service.entity(.books, id)["coverImage"] as? [String: Any]
                    #expect(cover?["provider"] as? String == "upcitemdb", "\(id): \(String(describing: cover))")
                }
            }
            // The second book waited for UPCitemdb's next slot after Open Library had answered it: once each.
            let asked = world[.openLibrary].requests.filter { $0.service == .openLibrary }
            #expect(asked.count == 2, "Open Library was asked \(asked.count) times for 2 books")
            #expect(world[.upcItemDB].requests.filter { $0.service == .upcItemDB }.count == 2)
            #expect(world[.upcItemDB].refusedForRate == 0)
        }
    }
}
