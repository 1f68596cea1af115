import EnricherApp
import EnricherCore
import Foundation
import Testing

/// `/v1/enrichments`, `/v1/providers` and `/v1/images` as the catalog and its UIs use them.
@Suite("Enrichment API", .serialized)
struct EnrichmentAPITests {
    // MARK: POST /v1/enrichments

    @Test("POST /v1/enrichments answers 202 with a Location at once, even when every provider is slow")
    func acceptedAtOnce() async throws {
        try await FakeWorld.with { world in
            for fake in world.fakes.values { fake.scenario = .slow(.seconds(5)) }
            try await TestService.with(world.environment) { service in
                let client = service.client
                for index in 0..<3 {
                    let put = try await client.put("/v1/entities/books/slow-\(index)", ["isbn": Identifiers.isbn13(index)])
                    try #require(put.status == 201, "\(put.text)")
                }
                let clock = ContinuousClock()
                let started = clock.now
                let response = try await client.post("/v1/enrichments", ["entities": (0..<3).map { ["mediaType": "books", "id": "slow-\($0)"] }])
                let elapsed = clock.now - started
                #expect(response.status == 202, "\(response.text)")
                // A correctness bound, not a performance target: the POST must not wait on a provider (5 s each).
                #expect(elapsed < .seconds(2), "POST took \(elapsed)")
                let created = try response.json
                let id = try #require(created["id"] as? String)
                #expect(id.range(of: #"^job_[a-z2-7]{20}$"#, options: .regularExpression) != nil, "\(id)")
                #expect(response.header("Location") == "/v1/enrichments/\(id)")
                #expect(created["status"] as? String == "running")
                #expect(created["total"] as? Int == 3)
                #expect(created["percent"] as? Int == 0)
                #expect((created["counts"] as? [String: Int])?["queued"] == 3)
                #expect((created["rejected"] as? [Any])?.isEmpty == true)
                #expect(created["completedAt"] is NSNull)

                // The work runs in the background: the providers are being asked while the job is still queued.
                try await world[.openLibrary].waitForRequests(1, to: .openLibrary)
                let job = try await client.job(id)
                #expect(job.status == "running", "\(job)")
                #expect(job.queued > 0, "\(job)")
                #expect(job.items.allSatisfy { $0["state"] as? String == "queued" }, "\(job.items)")
            }
        }
    }

    @Test("unknown entities and repeats are rejected per item; the known ones are queued in request order")
    func rejectedItems() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let client = service.client
                _ = try await client.put("/v1/entities/books/b-1", ["isbn": Identifiers.isbn13(1)])
                _ = try await client.put("/v1/entities/books/b-2", ["isbn": Identifiers.isbn13(2)])
                let response = try await client.post("/v1/enrichments", ["entities": [
                    ["mediaType": "books", "id": "b-2"],
                    ["mediaType": "books", "id": "nope"],
                    ["mediaType": "books", "id": "b-1"],
                    ["mediaType": "books", "id": "b-2"],
                    ["mediaType": "movies", "id": "b-1"],
                ]])
                #expect(response.status == 202, "\(response.text)")
                let created = try response.json
                #expect(created["total"] as? Int == 2)
                #expect((created["counts"] as? [String: Int])?["queued"] == 2)
                let rejected = try #require(created["rejected"] as? [[String: Any]], "\(response.text)")
                #expect(rejected.map { $0["index"] as? Int } == [1, 3, 4], "\(rejected)")
                #expect(rejected.map { $0["mediaType"] as? String } == ["books", "books", "movies"], "\(rejected)")
                #expect(rejected.map { $0["id"] as? String } == ["nope", "b-2", "b-1"], "\(rejected)")
                let details = rejected.map { $0["detail"] as? String ?? "" }
                #expect(details[0].contains("no entity books/nope"), "\(details[0])")
                #expect(details[1].contains("appears earlier") && details[1].contains("index 0"), "\(details[1])")
                #expect(details[2].contains("no entity movies/b-1"), "\(details[2])")

                let id = try #require(created["id"] as? String)
                let job = try await service.waitForJob(id)
                let items = try #require(job["items"] as? [[String: Any]])
                #expect(items.map { "\($0["mediaType"] ?? "")/\($0["id"] ?? "")" } == ["books/b-2", "books/b-1"], "\(items)")
                #expect((job["counts"] as? [String: Int])?["found"] == 2, "\(job)")
            }
        }
    }

    @Test("a job naming no existing entity is refused with 422 and a pointer per item")
    func allUnknown() async throws {
        try await TestService.with { service in
            let response = try await service.client.post("/v1/enrichments", ["entities": [
                ["mediaType": "books", "id": "ghost-1"], ["mediaType": "games", "id": "ghost-2"],
            ]])
            let problem = try Self.problem(response, status: 422, type: "validation")
            let errors = try #require(problem["errors"] as? [[String: String]], "\(response.text)")
            #expect(errors.map { $0["pointer"] } == ["/entities/0", "/entities/1"], "\(errors)")
            #expect(errors[0]["detail"]?.contains("books/ghost-1") == true, "\(errors)")
            #expect(errors[1]["detail"]?.contains("games/ghost-2") == true, "\(errors)")
            #expect(try await service.database.collection("enrichment_jobs").countDocuments() == 0, "no job was created")
        }
    }

    @Test("invalid bodies are refused with 422 and a JSON pointer to the problem")
    func invalidBodies() async throws {
        try await TestService.with { service in
            _ = try await service.client.put("/v1/entities/books/b-1", ["isbn": Identifiers.isbn13(1)])
            let valid = ["mediaType": "books", "id": "b-1"]
            let cases: [(name: String, body: String, pointer: String)] = [
                ("an array, not an object", #"[{"mediaType":"books","id":"b-1"}]"#, "/"),
                ("a string, not an object", #""books/b-1""#, "/"),
                ("no entities", #"{}"#, "/entities"),
                ("entities empty", #"{"entities":[]}"#, "/entities"),
                ("entities not an array", #"{"entities":{"mediaType":"books","id":"b-1"}}"#, "/entities"),
                ("1001 entities", Self.json(["entities": Array(repeating: valid, count: 1001)]), "/entities"),
                ("an item not an object", #"{"entities":["books/b-1"]}"#, "/entities/0"),
                ("a bad mediaType", #"{"entities":[{"mediaType":"vinyls","id":"b-1"}]}"#, "/entities/0/mediaType"),
                ("no mediaType", #"{"entities":[{"id":"b-1"}]}"#, "/entities/0/mediaType"),
                ("a bad id", #"{"entities":[{"mediaType":"books","id":"has space"}]}"#, "/entities/0/id"),
                ("an id too long", Self.json(["entities": [["mediaType": "books", "id": String(repeating: "x", count: 129)]]]), "/entities/0/id"),
                ("an unknown field", #"{"entities":[{"mediaType":"books","id":"b-1"}],"priority":1}"#, "/priority"),
                ("an unknown item field", #"{"entities":[{"mediaType":"books","id":"b-1","title":"x"}]}"#, "/entities/0/title"),
                ("force not a boolean", #"{"entities":[{"mediaType":"books","id":"b-1"}],"force":"yes"}"#, "/force"),
                ("callbackUrl not http(s)", #"{"entities":[{"mediaType":"books","id":"b-1"}],"callbackUrl":"ftp://example.org/done"}"#, "/callbackUrl"),
                ("callbackUrl relative", #"{"entities":[{"mediaType":"books","id":"b-1"}],"callbackUrl":"/done"}"#, "/callbackUrl"),
                ("callbackUrl not a string", #"{"entities":[{"mediaType":"books","id":"b-1"}],"callbackUrl":5}"#, "/callbackUrl"),
            ]
            for (name, body, pointer) in cases {
                let response = try await service.client.send("POST", "/v1/enrichments", body: Data(body.utf8), contentType: "application/json")
                let problem = try Self.problem(response, status: 422, type: "validation", context: name)
                let pointers = (problem["errors"] as? [[String: String]] ?? []).compactMap { $0["pointer"] }
                #expect(pointers.contains(pointer), "\(name): expected pointer \(pointer), got \(response.text)")
            }
            #expect(try await service.database.collection("enrichment_jobs").countDocuments() == 0, "no job was created")
        }
    }

    @Test("an unknown job is a 404 problem")
    func unknownJob() async throws {
        try await TestService.with { service in
            for id in ["job_abcdefghijklmnopqrst", "nothing-like-a-job"] {
                let response = try await service.client.get("/v1/enrichments/\(id)")
                let problem = try Self.problem(response, status: 404, type: "not-found", context: id)
                #expect((problem["detail"] as? String)?.contains(id) == true, "\(response.text)")
            }
        }
    }

    @Test("items page with limit and nextCursor: every item exactly once, in request order")
    func paging() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                // Not in id order, so request order is what is checked.
                let ids = ["p-c", "p-a", "p-e", "p-b", "p-d"]
                let job = try await service.enrich(ids.enumerated().map { (.books, $1, ["isbn": Identifiers.isbn13($0)]) })
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let page = try await service.client.job(job, "?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    pages += 1
                    #expect(page.items.count == (pages == 3 ? 1 : 2), "page \(pages): \(page.items)")
                    #expect(page.total == 5)
                    seen += page.items.compactMap { $0["id"] as? String }
                    cursor = page.json["nextCursor"] as? String
                    if cursor == nil { #expect(page.json["nextCursor"] is NSNull, "nextCursor is null on the last page: \(page.json)") }
                } while cursor != nil && pages < 10
                #expect(pages == 3)
                #expect(seen == ids)
                // The default page holds them all.
                #expect(try await service.client.job(job).items.compactMap { $0["id"] as? String } == ids)
                _ = try await service.waitForJob(job)
            }
        }
    }

    @Test("a bad cursor or limit is a 400 problem")
    func badPaging() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let job = try await service.enrich([(.books, "q-1", ["isbn": Identifiers.isbn13(1)])])
                for query in ["cursor=abc", "cursor=-1", "cursor=", "limit=0", "limit=501", "limit=ten", "limit=-2", "limit=1.5"] {
                    let response = try await service.client.get("/v1/enrichments/\(job)?\(query)")
                    _ = try Self.problem(response, status: 400, type: "bad-request", context: query)
                }
                _ = try await service.waitForJob(job)
            }
        }
    }

    @Test("counts add up to total and percent follows them while running; 100 at the end")
    func countsAndPercent() async throws {
        try await FakeWorld.with { world in
            // One worker and slow covers: the job is watched one entity at a time.
            world[.openLibrary].setScenario(.slow(.milliseconds(300)), for: .openLibraryCovers)
            try await TestService.with(world.environment.merging([ConfigurationKey.workers.name: "1"]) { $1 }) { service in
                let job = try await service.enrich([
                    (.books, "c-1", ["isbn": Identifiers.isbn13(1)]),
                    (.books, "c-2", [:]),  // nothing to search with: permanent
                    (.books, "c-3", ["isbn": Identifiers.isbn13(3)]),
                ])
                let snapshots = LockedValue<[JobSnapshot]>([])
                let client = service.client
                try await waitUntil(deadline: .seconds(30)) {
                    let snapshot = try await client.job(job)
                    snapshots.withLock { $0.append(snapshot) }
                    return snapshot.status == "completed"
                }
                let seen = snapshots.withLock { $0 }
                var lastFinished = 0
                for snapshot in seen {
                    #expect(snapshot.total == 3, "\(snapshot)")
                    #expect(snapshot.queued + snapshot.finished == 3, "counts add up to total: \(snapshot)")
                    #expect(snapshot.percent == snapshot.finished * 100 / 3, "percent is finished/total rounded down: \(snapshot)")
                    #expect(snapshot.finished >= lastFinished, "progress never goes back: \(seen)")
                    lastFinished = snapshot.finished
                    #expect((snapshot.status == "completed") == (snapshot.queued == 0), "\(snapshot)")
                }
                // The job was seen part done (one entity at a time, 300 ms each).
                #expect(seen.contains { $0.status == "running" && $0.finished > 0 && $0.queued > 0 }, "\(seen)")
                let final = try #require(seen.last)
                #expect(final.percent == 100, "\(final)")
                #expect(final.counts == ["queued": 0, "found": 2, "notFound": 0, "failed": 0, "permanent": 1, "skipped": 0, "deferred": 0], "\(final)")
                #expect(final.json["completedAt"] is String, "\(final.json)")
                #expect(final.items.map { $0["outcome"] as? String } == ["found", "permanent", "found"], "\(final.items)")
                #expect(final.items.allSatisfy { $0["state"] as? String == "done" && $0["finishedAt"] is String }, "\(final.items)")
            }
        }
    }

    // MARK: GET /v1/providers

    @Test("providers without credentials are disabled naming the setting; chains start with imageUrl")
    func providersWithoutCredentials() async throws {
        try await TestService.with { service in
            let response = try await service.client.get("/v1/providers")
            #expect(response.status == 200, "\(response.text)")
            let list = try response.json
            let providers = try #require(list["providers"] as? [[String: Any]], "\(response.text)")
            let byName = Dictionary(uniqueKeysWithValues: providers.map { ($0["name"] as? String ?? "?", $0) })
            #expect(Set(byName.keys) == ["openlibrary", "googlebooks", "upcitemdb", "tmdb", "giantbomb", "igdb", "musicbrainz"])
            let missing = [
                "googlebooks": ["ENRICHER_GOOGLEBOOKS_API_KEY"], "tmdb": ["ENRICHER_TMDB_TOKEN"],
                "giantbomb": ["ENRICHER_GIANTBOMB_API_KEY"], "igdb": ["ENRICHER_IGDB_CLIENT_ID", "ENRICHER_IGDB_CLIENT_SECRET"],
            ]
            for (name, keys) in missing {
                let provider = try #require(byName[name])
                #expect(provider["enabled"] as? Bool == false, "\(name): \(provider)")
                let reason = provider["disabledReason"] as? String ?? ""
                for key in keys { #expect(reason.contains(key), "\(name): disabledReason '\(reason)' names \(key)") }
            }
            for name in ["openlibrary", "upcitemdb", "musicbrainz"] {
                let provider = try #require(byName[name])
                #expect(provider["enabled"] as? Bool == true, "\(name): \(provider)")
                #expect(provider["disabledReason"] is NSNull, "\(name): \(provider)")
                #expect((provider["baseUrls"] as? [String])?.isEmpty == false, "\(name): \(provider)")
                let health = try #require(provider["health"] as? [String: Any], "\(name): \(provider)")
                #expect(health["requestsInFlight"] as? Int == 0 && health["maxInFlight"] as? Int == 4, "\(name): \(health)")
            }
            let chains = try #require(list["chains"] as? [String: [String]], "\(response.text)")
            #expect(Set(chains.keys) == ["books", "movies", "games", "musics"])
            for (mediaType, chain) in chains { #expect(chain.first == "imageUrl", "\(mediaType): \(chain)") }
            #expect(chains["books"] == ["imageUrl", "openlibrary", "googlebooks", "upcitemdb"])
            #expect(chains["musics"] == ["imageUrl", "musicbrainz", "upcitemdb"])
            #expect(list["selection"] as? String == "first")
            #expect(try await service.client.send("GET", "/v1/providers", auth: .none).status == 401)
        }
    }

    @Test("a provider named in ENRICHER_PROVIDERS_DISABLED is disabled, saying so")
    func providerDisabledBySetting() async throws {
        try await TestService.with([ConfigurationKey.providersDisabled.name: "upcitemdb"]) { service in
            let providers = try #require(try await service.client.get("/v1/providers").json["providers"] as? [[String: Any]])
            let upc = try #require(providers.first { $0["name"] as? String == "upcitemdb" })
            #expect(upc["enabled"] as? Bool == false, "\(upc)")
            #expect((upc["disabledReason"] as? String)?.contains("by ENRICHER_PROVIDERS_DISABLED") == true, "\(upc)")
            let openLibrary = try #require(providers.first { $0["name"] as? String == "openlibrary" })
            #expect(openLibrary["enabled"] as? Bool == true, "\(openLibrary)")
        }
    }

    @Test("an unknown provider name or a chain with a provider that cannot serve the type stops the configuration", arguments: [
        ([ConfigurationKey.providersDisabled.name: "upcitemdb,nosuchprovider"], "ENRICHER_PROVIDERS_DISABLED", "nosuchprovider"),
        ([ConfigurationKey.chainBooks.name: "tmdb"], "ENRICHER_CHAIN_BOOKS", "tmdb does not serve books"),
        ([ConfigurationKey.chainGames.name: "igdb,steam"], "ENRICHER_CHAIN_GAMES", "steam"),
    ])
    func invalidProviderSettings(settings: [String: String], key: String, detail: String) throws {
        // As the operator sees it.
        let result = try CommandLineTests.run(["config", "check"], environment: settings.merging(["ENRICHER_API_KEYS": TestService.apiKey]) { $1 })
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("enricher: configuration \(key):"), "\(result.output)")
        #expect(result.output.contains(detail), "\(result.output)")
        // As the library reports it.
        let configuration = try Configuration(environment: settings.merging(["ENRICHER_API_KEYS": TestService.apiKey]) { $1 })
        let error = #expect(throws: ConfigurationError.self) { try Application.validate(configuration) }
        #expect(error.map { "\($0)".contains(key) && "\($0)".contains(detail) } == true, "\(String(describing: error))")
    }

    // MARK: GET /v1/images/{id}

    @Test("a stored cover is public, cacheable forever, keyed by what the provider served, and served as stored")
    func images() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let client = service.client
                let job = try await service.enrich([(.books, "img-1", ["isbn": Identifiers.isbn13(42)])])
                let result = try await service.waitForJob(job)
                #expect((result["counts"] as? [String: Int])?["found"] == 1, "\(result)")
                let cover = try #require(try await service.entity(.books, "img-1")["coverImage"] as? [String: Any])
                #expect(cover["provider"] as? String == "openlibrary", "\(cover)")
                let served = world[.openLibrary].defaultImageBytes
                let sha = sha256Hex(served)
                let id = try #require(cover["id"] as? String)
                #expect(id == sha, "the id is the SHA-256 of the bytes the fake served")
                #expect(cover["sha256"] as? String == sha)
                let stored = try #require(try await service.storedOriginal(id))
                #expect(cover["bytes"] as? Int == stored.count)

                let get = try await client.send("GET", "/v1/images/\(id)", auth: .none)
                #expect(get.status == 200, "\(get.text)")
                #expect(get.header("Content-Type") == "image/jpeg")
                #expect(get.header("ETag") == "\"\(sha256Hex(stored))\"", "the ETag is the hash of what is served")
                #expect(get.header("Cache-Control") == "public, max-age=31536000, immutable")
                #expect(get.body == stored, "served \(get.body.count) bytes, stored \(stored.count)")

                // Conditional GET: 304, no body, same validators.
                let etag = "\"\(sha256Hex(stored))\""
                for condition in [etag, "\"0000\", \(etag)", "W/\(etag)", "*"] {
                    let notModified = try await RawAnswer.exchange(port: client.port, "GET", "/v1/images/\(id)", headers: ["If-None-Match": condition])
                    #expect(notModified.status == 304, "If-None-Match: \(condition): \(notModified)")
                    #expect(notModified.body.isEmpty, "If-None-Match: \(condition): \(notModified)")
                    #expect(notModified.header("ETag") == etag, "\(notModified)")
                    #expect(notModified.header("Cache-Control") == "public, max-age=31536000, immutable", "\(notModified)")
                }
                let changed = try await client.send("GET", "/v1/images/\(id)", auth: .none, headers: ["If-None-Match": "\"\(String(repeating: "0", count: 64))\""])
                #expect(changed.status == 200 && changed.body == stored, "a different ETag gets the image: \(changed.status)")

                // HEAD: the GET's headers, no body.
                let head = try await RawAnswer.exchange(port: client.port, "HEAD", "/v1/images/\(id)")
                #expect(head.status == 200, "\(head)")
                #expect(head.header("Content-Length") == String(stored.count), "\(head)")
                #expect(head.header("Content-Type") == "image/jpeg", "\(head)")
                #expect(head.header("ETag") == etag, "\(head)")
                #expect(head.body.isEmpty, "\(head)")

                // Unknown and malformed ids.
                let unknown = try await client.send("GET", "/v1/images/\(String(repeating: "ab", count: 32))", auth: .none)
                _ = try Self.problem(unknown, status: 404, type: "not-found", context: "unknown id")
                for malformed in [String(id.dropLast()), id.uppercased(), id + "0", "not-an-image", "\(String(id.dropLast()))g"] {
                    let response = try await client.send("GET", "/v1/images/\(malformed)", auth: .none)
                    _ = try Self.problem(response, status: 404, type: "not-found", context: malformed)
                }
                let headUnknown = try await RawAnswer.exchange(port: client.port, "HEAD", "/v1/images/\(String(repeating: "ab", count: 32))")
                #expect(headUnknown.status == 404 && headUnknown.body.isEmpty, "\(headUnknown)")

                // Only images are public.
                #expect(try await client.send("GET", "/v1/entities/books/img-1", auth: .none).status == 401)
                #expect(try await client.send("GET", "/v1/enrichments/\(job)", auth: .none).status == 401)
            }
        }
    }

    // MARK: Helpers

    /// Checks an RFC 9457 problem answer and returns its body.
    static func problem(_ response: TestClient.Response, status: Int, type: String, context: String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(response.status == status, "\(context): \(response.status) \(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true,
                "\(context): Content-Type \(response.header("Content-Type") ?? "none")", sourceLocation: sourceLocation)
        let body = try response.json
        #expect(body["type"] as? String == "urn:enricher:problem:\(type)", "\(context): \(response.text)", sourceLocation: sourceLocation)
        #expect(body["status"] as? Int == status, "\(context): \(response.text)", sourceLocation: sourceLocation)
        return body
    }

    static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }
}
