import Foundation
import Testing

/// The entity API against the real database server, over real HTTP.
@Suite("Entity API", .serialized)
struct EntityAPITests {
    @Test("create, read, replace (keeping Enricher's findings) and delete one entity")
    func lifecycle() async throws {
        try await TestService.with { service in
            let client = service.client
            let created = try await client.put("/v1/entities/books/b-1", [
                "title": "Dune", "isbn": "978-0-441-01359-3", "authors": ["Frank Herbert"], "year": 1965,
            ])
            #expect(created.status == 201)
            let entity = try created.json
            #expect(entity["id"] as? String == "b-1")
            #expect(entity["mediaType"] as? String == "books")
            #expect(entity["isbn"] as? String == "9780441013593", "stored normalized, without hyphens")
            #expect(entity["status"] as? String == "missing")
            #expect(entity["coverImage"] is NSNull)
            #expect(entity["imageLookup"] is NSNull)

            let fetched = try await client.get("/v1/entities/books/b-1")
            #expect(fetched.status == 200)
            #expect(try fetched.json["title"] as? String == "Dune")

            // Enricher's own findings survive a replace by the catalog.
            try await service.database.collection("entities").updateOne(
                ["_id": "books/b-1"],
                ["$set": ["imageLookup": ["lookupAttemptedAt": .date(Date()), "failureReason": "nothing found", "permanentFailure": false], "status": "failed"]]
            )
            // The same title and the same book's ISBN-10: nothing a lookup depends on changed.
            let replaced = try await client.put("/v1/entities/books/b-1", ["title": "Dune", "isbn": "0-441-01359-7", "year": 1965])
            #expect(replaced.status == 200)
            let after = try replaced.json
            #expect(after["isbn"] as? String == "0441013597")
            #expect(after["authors"] == nil, "a replace drops fields the catalog no longer sends")
            #expect((after["imageLookup"] as? [String: Any])?["failureReason"] as? String == "nothing found")
            #expect(after["status"] as? String == "failed")
            #expect(after["lookupReset"] is NSNull, "\(after)")
            #expect(after["createdAt"] as? String == entity["createdAt"] as? String)

            let deleted = try await client.delete("/v1/entities/books/b-1")
            #expect(deleted.status == 204)
            #expect(try await client.get("/v1/entities/books/b-1").status == 404)
            #expect(try await client.delete("/v1/entities/books/b-1").status == 404)
        }
    }

    @Test("an entity with no identifier is accepted")
    func noIdentifier() async throws {
        try await TestService.with { service in
            let response = try await service.client.put("/v1/entities/musics/m-1", ["title": "Kind of Blue", "artist": "Miles Davis"])
            #expect(response.status == 201)
            #expect(try response.json["barcode"] == nil)
            let bare = try await service.client.put("/v1/entities/games/g-1", [String: Any]())
            #expect(bare.status == 201)
        }
    }

    @Test("a batch of 1,000 is stored with an answer per item; sent again, each is replaced")
    func batchOfThousand() async throws {
        try await TestService.with { service in
            let items: [[String: Any]] = (0..<1000).map { index in
                ["mediaType": "movies", "id": "m-\(index)", "title": "Movie \(index)", "barcode": Barcodes.ean13(index)]
            }
            let first = try await service.client.post("/v1/entities/batch", ["entities": items])
            #expect(first.status == 200)
            let answer = try first.json
            #expect(answer["created"] as? Int == 1000)
            #expect(answer["rejected"] as? Int == 0)
            let results = try #require(answer["results"] as? [[String: Any]])
            #expect(results.count == 1000)
            #expect(results.enumerated().allSatisfy { $1["index"] as? Int == $0 && $1["id"] as? String == "m-\($0)" && $1["outcome"] as? String == "created" })
            #expect(try await service.database.collection("entities").countDocuments(["mediaType": "movies"]) == 1000)

            let again = try await service.client.post("/v1/entities/batch", ["entities": items])
            #expect(try again.json["replaced"] as? Int == 1000)
            #expect(try await service.client.get("/v1/entities/movies/m-999").json["title"] as? String == "Movie 999")
        }
    }

    @Test("a batch answers bad items one by one and stores the good ones")
    func batchWithBadItems() async throws {
        try await TestService.with { service in
            let response = try await service.client.post("/v1/entities/batch", ["entities": [
                ["mediaType": "books", "id": "ok", "isbn": "9780441013593"],
                ["mediaType": "books", "id": "bad", "isbn": "9780441013590"],
                ["mediaType": "vinyls", "id": "x"],
                ["mediaType": "books", "id": "ok", "title": "twice"],
            ]])
            #expect(response.status == 200)
            let answer = try response.json
            #expect(answer["created"] as? Int == 1)
            #expect(answer["rejected"] as? Int == 3)
            let results = try #require(answer["results"] as? [[String: Any]])
            #expect(results.map { $0["outcome"] as? String } == ["created", "rejected", "rejected", "rejected"])
            let problem = try #require(results[1]["problem"] as? [String: Any])
            #expect((problem["detail"] as? String)?.contains("check digit") == true)
            #expect(try await service.client.get("/v1/entities/books/bad").status == 404)
            #expect(try await service.client.get("/v1/entities/books/ok").json["title"] == nil, "the duplicate later in the batch was refused")

            let tooMany = try await service.client.post("/v1/entities/batch", ["entities": (0..<1001).map { ["mediaType": "games", "id": "g\($0)"] }])
            #expect(tooMany.status == 422)
            #expect(try await service.database.collection("entities").countDocuments(["mediaType": "games"]) == 0)
        }
    }

    @Test("listing 2,500 entities page by page returns each exactly once, in order")
    func cursorPaging() async throws {
        try await TestService.with { service in
            let types = ["books", "movies", "games", "musics"]
            var expected = Set<String>()
            for chunk in 0..<3 {
                let items: [[String: Any]] = (0..<(chunk < 2 ? 1000 : 500)).map { offset in
                    let index = chunk * 1000 + offset
                    let type = types[index % 4]
                    expected.insert("\(type)/e\(index)")
                    return ["mediaType": type, "id": "e\(index)"]
                }
                #expect(try await service.client.post("/v1/entities/batch", ["entities": items]).json["created"] as? Int == items.count)
            }
            #expect(expected.count == 2500)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = "/v1/entities?limit=100" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await service.client.get(query).json
                let items = try #require(page["items"] as? [[String: Any]])
                seen += items.map { "\($0["mediaType"]!)/\($0["id"]!)" }
                cursor = page["nextCursor"] as? String
                pages += 1
            } while cursor != nil && pages < 100
            #expect(seen.count == 2500)
            #expect(Set(seen) == expected, "none missing")
            #expect(Set(seen).count == seen.count, "none twice")
            #expect(seen == seen.sorted(), "in key order")
            #expect(pages == 25)

            // Filtered by media type and status, the same guarantees hold.
            var musics: [String] = []
            cursor = nil
            repeat {
                let query = "/v1/entities?mediaType=musics&status=missing&limit=77" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await service.client.get(query).json
                musics += try #require(page["items"] as? [[String: Any]]).map { "\($0["mediaType"]!)/\($0["id"]!)" }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(Set(musics) == expected.filter { $0.hasPrefix("musics/") })
            #expect(musics.count == 625)
            let found = try await service.client.get("/v1/entities?status=found").json
            #expect((found["items"] as? [Any])?.isEmpty == true)
            #expect(found["nextCursor"] is NSNull)
        }
    }

    @Test("50 concurrent PUTs of one entity leave one consistent document")
    func concurrentPuts() async throws {
        try await TestService.with { service in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<50 {
                    group.addTask {
                        try await service.client.put("/v1/entities/games/race", [
                            "title": "Writer \(writer)", "platform": "platform-\(writer)", "year": 2000 + writer,
                            "barcode": Barcodes.ean13(writer),
                        ]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1, "exactly one PUT created it")
            #expect(statuses.filter { $0 == 200 }.count == 49)
            let documents = try await service.database.collection("entities").find(["mediaType": "games"])
            #expect(documents.count == 1)
            let entity = try await service.client.get("/v1/entities/games/race").json
            let title = try #require(entity["title"] as? String)
            let writer = try #require(Int(title.dropFirst("Writer ".count)))
            #expect(entity["platform"] as? String == "platform-\(writer)", "every field from the same writer")
            #expect(entity["year"] as? Int == 2000 + writer)
            #expect(entity["barcode"] as? String == Barcodes.ean13(writer))
        }
    }
}

/// Valid barcodes for test data.
enum Barcodes {
    /// A valid EAN-13 derived from `seed`.
    static func ean13(_ seed: Int) -> String {
        let body = String(format: "400%09d", seed)
        let digits = body.compactMap { $0.wholeNumberValue }
        let sum = digits.reversed().enumerated().reduce(0) { $0 + $1.element * ($1.offset.isMultiple(of: 2) ? 3 : 1) }
        return body + String((10 - sum % 10) % 10)
    }
}
