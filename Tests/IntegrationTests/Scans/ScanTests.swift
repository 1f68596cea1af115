import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// Scans through the real service: what a run takes, how it ends, and that runs never overlap.
@Suite("Scans", .serialized)
struct ScanTests {
    /// `count` entities of `mediaType` with identifiers the fakes answer, ids `<prefix>-<n>`.
    static func entities(_ mediaType: MediaType, _ count: Int, prefix: String, seed: Int) -> [[String: Any]] {
        (0..<count).map { index in
            var entity: [String: Any] = ["mediaType": mediaType.rawValue, "id": "\(prefix)-\(index)", "title": "\(prefix) \(index)"]
            switch mediaType {
            case .books: entity["isbn"] = Identifiers.isbn13(seed + index)
            case .movies: entity["barcode"] = Identifiers.upcA(seed + index)
            case .games: entity["barcode"] = Identifiers.upcA(seed + index, prefix: 8); entity["platform"] = "PC"
            case .musics: entity["barcode"] = Identifiers.ean13(seed + index); entity["artist"] = "Artist \(index)"
            }
            return entity
        }
    }

    static func store(_ entities: [[String: Any]], in service: TestService) async throws {
        let stored = try await service.client.post("/v1/entities/batch", ["entities": entities])
        try #require(stored.status == 200, "\(stored.status) \(stored.text.prefix(1000))")
    }

    static func waitForScan(_ id: String, _ service: TestService, deadline: Duration = .seconds(60)) async throws -> [String: Any] {
        let client = service.client
        try await waitUntil(deadline: deadline, interval: .milliseconds(50)) {
            try await client.get("/v1/scans/\(id)").json["status"] as? String != "running"
        }
        return try await client.get("/v1/scans/\(id)").json
    }

    static func count(_ service: TestService, _ mediaType: MediaType, status: String) async throws -> Int {
        let page = try await service.client.get("/v1/entities?mediaType=\(mediaType.rawValue)&status=\(status)&limit=500")
        return (try page.json["items"] as? [Any])?.count ?? -1
    }

    @Test("a scan takes batchSize entities awaiting a lookup, split across the media types, the remainder to those with most pending; a second one is refused while it runs")
    func allocationAndOverlap() async throws {
        try await FakeWorld.with { world in
            // Each book cover takes 1 s, so the scan is surely still running when the second request comes.
            world[.openLibrary].setScenario(.slow(.seconds(1)), for: .openLibraryCovers)
            let settings = world.environment.merging([ConfigurationKey.scanBatchSize.name: "14", ConfigurationKey.workers.name: "4"]) { $1 }
            try await TestService.with(settings) { service in
                try await Self.store(Self.entities(.books, 14, prefix: "b", seed: 100) + Self.entities(.movies, 3, prefix: "m", seed: 200)
                                     + Self.entities(.games, 6, prefix: "g", seed: 300) + Self.entities(.musics, 6, prefix: "a", seed: 400), in: service)
                // Two books already have covers: not eligible.
                let job = try await service.rerun([(.books, "b-12"), (.books, "b-13")], force: false)
                _ = try await service.waitForJob(job)

                let started = try await service.client.post("/v1/scans", [:])
                try #require(started.status == 202, "\(started.status) \(started.text)")
                let scan = try started.json
                let id = try #require(scan["id"] as? String)
                #expect(scan["trigger"] as? String == "manual" && scan["status"] as? String == "running", "\(scan)")
                #expect(scan["pending"] as? [String: Int] == ["books": 12, "movies": 3, "games": 6, "musics": 6], "\(scan)")
                // 14 over 4 types: movies can use only its 3; the 11 left give 3 each, and the 2 over go to
                // books (most pending) and games (tied with musics, first in catalog order).
                #expect(scan["allocation"] as? [String: Int] == ["books": 4, "movies": 3, "games": 4, "musics": 3], "\(scan)")
                #expect(scan["total"] as? Int == 14)

                let second = try await service.client.post("/v1/scans", ["force": true])
                #expect(second.status == 409, "\(second.status) \(second.text)")
                #expect((try second.json["detail"] as? String)?.contains(id) == true, "\(second.text)")

                let finished = try await Self.waitForScan(id, service)
                #expect(finished["status"] as? String == "completed", "\(finished)")
                #expect((finished["counts"] as? [String: Int])?["found"] == 14, "\(finished)")
                #expect(finished["finishedAt"] is String)
                #expect(try await Self.count(service, .books, status: "found") == 6)
                #expect(try await Self.count(service, .movies, status: "found") == 3)
                #expect(try await Self.count(service, .games, status: "found") == 4)
                #expect(try await Self.count(service, .musics, status: "found") == 3)

                let listed = try await service.client.get("/v1/scans")
                let scans = try #require(try listed.json["scans"] as? [[String: Any]], "\(listed.text)")
                #expect(scans.count == 1 && scans.first?["id"] as? String == id, "\(listed.text)")
                #expect(try await service.client.get("/v1/scans/scan_nosuchscan").status == 404)
                let bad = try await service.client.post("/v1/scans", ["force": "yes", "extra": 1])
                #expect(bad.status == 422, "\(bad.text)")
            }
        }
    }

    @Test("maxRuntime stops a run: entities not started stay unmarked, and the next scan takes them")
    func maxRuntimeStopsARun() async throws {
        try await FakeWorld.with { world in
            world[.openLibrary].setScenario(.slow(.seconds(1)), for: .openLibraryCovers)
            let settings = world.environment.merging([
                ConfigurationKey.scanBatchSize.name: "10",
                ConfigurationKey.scanMaxRuntime.name: "2",
                ConfigurationKey.workers.name: "1",
            ]) { $1 }
            try await TestService.with(settings) { service in
                try await Self.store(Self.entities(.books, 10, prefix: "b", seed: 500), in: service)
                let started = try await service.client.post("/v1/scans", [:])
                try #require(started.status == 202, "\(started.text)")
                // Only books are pending: all 10 places go to them.
                #expect(try started.json["allocation"] as? [String: Int] == ["books": 10, "movies": 0, "games": 0, "musics": 0])
                let id = try #require(try started.json["id"] as? String)

                let finished = try await Self.waitForScan(id, service, deadline: .seconds(30))
                let counts = try #require(finished["counts"] as? [String: Int], "\(finished)")
                #expect(finished["status"] as? String == "stopped", "\(finished)")
                #expect((finished["detail"] as? String)?.contains("ENRICHER_SCAN_MAX_RUNTIME_SECONDS") == true, "\(finished)")
                // One worker, a second per cover, a 2 s run: a few were looked up and most were left.
                let found = counts["found"] ?? 0, deferred = counts["deferred"] ?? 0
                #expect(found >= 1 && found <= 4 && found + deferred == 10, "\(counts)")
                #expect(try await Self.count(service, .books, status: "missing") == deferred)
                // The run stopped taking entities at its deadline: no cover was asked for after it (plus the one in hand).
                let deadline = try #require((finished["deadline"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
                let finishedAt = try #require((finished["finishedAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
                #expect(finishedAt.timeIntervalSince(deadline) < 5, "finished \(finishedAt.timeIntervalSince(deadline)) s after its deadline")
                let covers = world[.openLibrary].requests(to: .openLibraryCovers).count
                #expect(covers <= found + 1, "\(covers) covers asked for, \(found) entities found: work went on past the deadline")

                // The next scan takes exactly the entities left.
                world[.openLibrary].setScenario(.hit, for: .openLibraryCovers)
                let next = try await service.client.post("/v1/scans", [:])
                try #require(next.status == 202, "\(next.text)")
                #expect((try next.json["pending"] as? [String: Int])?["books"] == deferred)
                let nextID = try #require(try next.json["id"] as? String)
                let done = try await Self.waitForScan(nextID, service)
                // It has the same 2 s run time: on a busy machine it too may leave some for the scan after it.
                let nextCounts = done["counts"] as? [String: Int] ?? [:]
                let leftAgain = nextCounts["deferred"] ?? 0
                #expect((nextCounts["found"] ?? 0) + leftAgain == deferred && (done["allocation"] as? [String: Int])?["books"] == deferred, "\(done)")
                #expect(try await Self.count(service, .books, status: "found") == 10 - leftAgain)
            }
        }
    }

    @Test("on-demand work is claimed before scan work queued earlier")
    func onDemandFirst() async throws {
        try await TestDatabase.with("priority") { database in
            let store = JobStore(database: database)
            try await store.ensureIndexes()
            let earlier = Date().addingTimeInterval(-60)
            let scanKeys = (0..<5).map { EntityKey(mediaType: .books, id: "scan-\($0)") }
            _ = try await store.create(keys: scanKeys, force: false, callbackUrl: nil, priority: .scan, now: earlier)
            let onDemand = try await store.create(keys: [EntityKey(mediaType: .movies, id: "asked")], force: false, callbackUrl: nil)
            let first = try await store.claim(limit: 1, owner: "w-1", lease: .seconds(60))
            #expect(first.map(\.jobID) == [onDemand.id], "\(first)")
            let rest = try await store.claim(limit: 10, owner: "w-2", lease: .seconds(60))
            #expect(Set(rest.map(\.key)) == Set(scanKeys))
        }
    }
}
