import EnricherCore
import Foundation
import Testing

/// The read endpoints the status page is built on: recent jobs (`GET /v1/enrichments`) and the catalog
/// summary (`GET /v1/catalog/summary`), checked against what the jobs did.
@Suite("Status data", .serialized)
struct StatusDataTests {
    @Test("GET /v1/enrichments lists the jobs created last, newest first, with the counts each job shows")
    func recentJobs() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let client = service.client
                var ids: [String] = []
                for index in 0..<3 {
                    let id = try await service.enrich([(.books, "list-\(index)", ["isbn": Identifiers.isbn13(700 + index)])])
                    _ = try await service.waitForJob(id)
                    ids.append(id)
                }
                let all = try await client.get("/v1/enrichments")
                #expect(all.status == 200, "\(all.text)")
                let jobs = try #require(try all.json["jobs"] as? [[String: Any]])
                #expect(jobs.map { $0["id"] as? String } == ids.reversed().map(Optional.some), "\(jobs)")
                for job in jobs {
                    let read = try await client.job(job["id"] as? String ?? "")
                    #expect(job["counts"] as? [String: Int] == read.counts, "\(job)")
                    #expect(job["percent"] as? Int == 100 && job["status"] as? String == "completed" && job["total"] as? Int == 1)
                    #expect(job["items"] == nil, "a listed job has no items")
                }
                let two = try await client.get("/v1/enrichments?limit=2").json["jobs"] as? [[String: Any]]
                #expect(two?.map { $0["id"] as? String } == [ids[2], ids[1]])
                #expect((try await client.get("/v1/enrichments?status=completed").json["jobs"] as? [Any])?.count == 3)
                #expect((try await client.get("/v1/enrichments?status=running").json["jobs"] as? [Any])?.isEmpty == true)

                for (query, words) in [("status=done", "status must be running or completed"), ("limit=0", "limit must be"),
                                       ("limit=501", "limit must be")] {
                    let bad = try await client.get("/v1/enrichments?\(query)")
                    #expect(bad.status == 400 && bad.header("Content-Type") == "application/problem+json", "\(query): \(bad.text)")
                    #expect((try bad.json["detail"] as? String)?.contains(words) == true, "\(query): \(bad.text)")
                }
                #expect(try await client.send("GET", "/v1/enrichments", auth: .none).status == 401)
            }
        }
    }

    @Test("GET /v1/catalog/summary counts entities by media type and status, groups failures by reason and lists the latest covers")
    func summary() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let client = service.client
                let found = try await service.enrich((0..<3).map { (.books, "found-\($0)", ["title": "Found \($0)", "isbn": Identifiers.isbn13(800 + $0)]) })
                _ = try await service.waitForJob(found)
                for fake in world.fakes.values { fake.scenario = .miss }
                let missed = try await service.enrich((0..<2).map { (.books, "missed-\($0)", ["isbn": Identifiers.isbn13(900 + $0)]) })
                _ = try await service.waitForJob(missed)
                let present = try await client.put("/v1/entities/movies/present-0", [
                    "title": "Has one", "barcode": Identifiers.upcA(1), "existingCover": ["url": "https://catalog.example/m.jpg"],
                ])
                try #require(present.status == 201, "\(present.text)")

                let response = try await client.get("/v1/catalog/summary")
                #expect(response.status == 200, "\(response.text)")
                let summary = try response.json
                let entities = try #require(summary["entities"] as? [String: Any])
                #expect(entities["total"] as? Int == 6)
                #expect(entities["byStatus"] as? [String: Int] == ["missing": 0, "found": 3, "failed": 2, "permanent": 0, "present": 1])
                let byMediaType = try #require(entities["byMediaType"] as? [String: [String: Any]])
                #expect(Set(byMediaType.keys) == Set(MediaType.allCases.map(\.rawValue)))
                #expect(byMediaType["books"]?["total"] as? Int == 5)
                #expect(byMediaType["books"]?["byStatus"] as? [String: Int] == ["missing": 0, "found": 3, "failed": 2, "permanent": 0, "present": 0])
                #expect(byMediaType["movies"]?["byStatus"] as? [String: Int] == ["missing": 0, "found": 0, "failed": 0, "permanent": 0, "present": 1])
                #expect(byMediaType["games"]?["total"] as? Int == 0)

                // Both misses failed for the same reason, the one each entity's lookup records.
                let failures = try #require(summary["failures"] as? [String: Any])
                #expect(failures["examined"] as? Int == 2 && failures["sample"] as? Int == 10_000, "\(failures)")
                let groups = try #require(failures["groups"] as? [[String: Any]])
                let recorded = try await client.get("/v1/entities/books/missed-0").json["imageLookup"] as? [String: Any]
                let reason = try #require(recorded?["failureReason"] as? String)
                #expect(groups.count == 1, "\(groups)")
                #expect(groups.first?["reason"] as? String == reason && groups.first?["count"] as? Int == 2, "\(groups)")
                #expect(groups.first?["mediaTypes"] as? [String] == ["books"] && groups.first?["permanent"] as? Bool == false)

                // The cover the found books show, with one of them, and a thumbnail that loads.
                let covers = try #require(summary["latestCovers"] as? [[String: Any]])
                let stored = try await client.get("/v1/entities/books/found-0").json["coverImage"] as? [String: Any]
                #expect(covers.map { $0["id"] as? String } == [stored?["id"] as? String], "\(covers)")
                let cover = try #require(covers.first)
                let shown = try #require(cover["entity"] as? [String: Any])
                #expect(shown["mediaType"] as? String == "books" && (shown["title"] as? String)?.hasPrefix("Found ") == true, "\(shown)")
                let thumbnail = try #require(cover["thumbnailUrl"] as? String)
                #expect(thumbnail == "/v1/images/\(cover["id"] as? String ?? "")/thumb")
                let image = try await client.send("GET", thumbnail, auth: .none)
                #expect(image.status == 200 && image.header("Content-Type") == "image/jpeg" && !image.body.isEmpty)

                #expect((try await client.get("/v1/catalog/summary?covers=0").json["latestCovers"] as? [Any])?.isEmpty == true)
                for query in ["covers=-1", "covers=501", "reasons=0", "reasons=x"] {
                    let bad = try await client.get("/v1/catalog/summary?\(query)")
                    #expect(bad.status == 400, "\(query): \(bad.text)")
                    #expect((try bad.json["detail"] as? String)?.contains(String(query.prefix { $0 != "=" })) == true, "\(bad.text)")
                }
                #expect(try await client.send("GET", "/v1/catalog/summary", auth: .none).status == 401)
            }
        }
    }

    @Test("failure groups read at most the sample, most common reason first")
    func failureSample() async throws {
        try await TestDatabase.with("summary") { database in
            let repository = EntityRepository(database: database)
            try await repository.ensureIndexes()
            let now = Date()
            for (index, reason) in ["a: timeout", "a: timeout", "b: not found", "a: timeout", "b: not found"].enumerated() {
                let key = EntityKey(mediaType: index.isMultiple(of: 2) ? .books : .games, id: "e-\(index)")
                _ = try await repository.upsert(key, EntityDraft(title: "T\(index)"))
                try await repository.recordLookup(key, coverImage: nil, imageLookup: ImageLookup(
                    lookupAttemptedAt: now.addingTimeInterval(Double(index)), failureReason: reason, permanentFailure: false), existingCover: false)
            }
            let all = try await repository.failureGroups(sample: 100, limit: 10)
            #expect(all.examined == 5)
            #expect(all.groups.map(\.reason) == ["a: timeout", "b: not found"] && all.groups.map(\.count) == [3, 2], "\(all.groups)")
            #expect(all.groups.first?.mediaTypes == [.books, .games])
            #expect(all.groups.first?.lastLookupAt.map { abs($0.timeIntervalSince(now.addingTimeInterval(3))) < 0.01 } == true)
            let sampled = try await repository.failureGroups(sample: 2, limit: 10)
            #expect(sampled.examined == 2 && sampled.groups.map(\.count).reduce(0, +) == 2, "\(sampled)")
            let top = try await repository.failureGroups(sample: 100, limit: 1)
            #expect(top.groups.map(\.reason) == ["a: timeout"])
        }
    }

    @Test("each latest cover is shown with an entity, however many entities share another cover")
    func sharedCovers() async throws {
        try await TestDatabase.with("summary") { database in
            let repository = EntityRepository(database: database)
            try await repository.ensureIndexes()
            func cover(_ id: String) -> CoverImage {
                CoverImage(id: id, sha256: id, contentType: "image/jpeg", width: 300, height: 450, bytes: 1000, provider: "tmdb",
                           sourceUrl: "https://example.org/\(id).jpg", createdAt: Date())
            }
            // Twenty movies share one poster; one book has its own cover.
            let shared = (0..<20).map { (EntityKey(mediaType: .movies, id: "m\($0)"), cover("shared")) }
            for (key, image) in shared + [(EntityKey(mediaType: .books, id: "b0"), cover("own"))] {
                _ = try await repository.upsert(key, EntityDraft(title: key.id))
                try await repository.recordLookup(key, coverImage: image, imageLookup: ImageLookup(
                    lookupAttemptedAt: Date(), failureReason: nil, permanentFailure: false), existingCover: false)
            }
            let shown = try await repository.showing(covers: ["shared", "own", "gone"])
            #expect(shown["shared"]?.key.mediaType == .movies)
            #expect(shown["own"]?.key == EntityKey(mediaType: .books, id: "b0"), "\(shown.keys)")
            #expect(shown["gone"] == nil)
        }
    }
}
