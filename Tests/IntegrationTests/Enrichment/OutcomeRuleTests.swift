import EnricherCore
import Foundation
import Images
import Testing

/// The catalog's outcome rules, each through the API, against the fake providers.
@Suite("Outcome rules", .serialized)
struct OutcomeRuleTests {
    @Test("the own imageUrl is tried first, and providers see no call when it works")
    func ownImageFirst() async throws {
        try await FakeWorld.with { world in
            let cover = try TestImages.encode(.gradient, width: 500, height: 700, as: .png)
            world[.openLibrary].setImage(Data(cover), contentType: "image/png", at: "/img/catalog.example/own.png")
            let url = world[.openLibrary].imageURL(host: "catalog.example", path: "/own.png")
            try await TestService.with(world.environment) { service in
                let job = try await service.enrich([(.books, "own", ["isbn": "9780980200447", "imageUrl": url])])
                let result = try await service.waitForJob(job)
                #expect((result["counts"] as? [String: Int])?["found"] == 1)
                let entity = try await service.entity(.books, "own")
                let coverImage = try #require(entity["coverImage"] as? [String: Any])
                #expect(coverImage["provider"] as? String == "imageUrl")
                #expect(coverImage["width"] as? Int == 500)
                // Stored normalized: as JPEG (the configured format), same size.
                #expect(coverImage["contentType"] as? String == "image/jpeg")
                #expect(entity["status"] as? String == "found")
                let lookup = try #require(entity["imageLookup"] as? [String: Any])
                #expect(lookup["failureReason"] is NSNull)
                // Only the image itself was fetched: no provider API call.
                let apiCalls = world.fakes.values.flatMap(\.requests).filter { !$0.path.hasPrefix("/img/") }
                #expect(apiCalls.isEmpty, "\(apiCalls.map(\.path))")
                // The cover is keyed by what was downloaded, and served byte for byte as stored.
                let id = try #require(coverImage["id"] as? String)
                #expect(id == sha256Hex(Data(cover)))
                let served = try await service.client.send("GET", "/v1/images/\(id)", auth: .none)
                #expect(served.status == 200)
                #expect(served.body == (try await service.storedOriginal(id)))
                #expect(served.header("Content-Type") == "image/jpeg")
            }
        }
    }

    // MARK: Nothing to search with

    @Test("no identifier, no title and no imageUrl is a permanent failure, and no provider is asked")
    func nothingToSearchWith() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let (item, raw) = try await service.enrichOne(.books, "nothing", ["authors": ["Anonymous"]])
                let entity = EntityView(raw)
                #expect(item.outcome == "permanent", "\(item)")
                #expect(entity.status == "permanent", "\(entity)")
                #expect(entity.permanentFailure == true, "\(entity)")
                #expect(entity.coverIsNull, "\(entity)")
                let reason = try #require(entity.failureReason, "\(entity)")
                #expect(reason.contains("no ISBN and no title to search with"), "\(reason)")
                #expect(item.detail == reason, "\(item)")
                #expect(world.allRequests.isEmpty, "\(world.allRequests.map(\.path))")
            }
        }
    }

    // MARK: Nothing found

    /// Each media type's default chain, in order.
    static let chains: [(MediaType, [String])] = [
        (.books, ["openlibrary", "googlebooks", "upcitemdb"]),
        (.movies, ["tmdb", "upcitemdb"]),
        (.games, ["igdb", "giantbomb", "upcitemdb"]),
        (.musics, ["musicbrainz", "upcitemdb"]),
    ]

    @Test("when every provider misses, failureReason names each provider of the chain with its answer")
    func everyProviderMisses() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            try await TestService.with(world.environment) { service in
                let job = try await service.enrich([
                    (.books, "b", ["isbn": "9780980200447", "title": "Slow Reading"]),
                    (.movies, "m", ["barcode": "883929106967", "title": "The Matrix"]),
                    (.games, "g", ["barcode": "722674120265", "title": "Elden Ring"]),
                    (.musics, "c", ["barcode": "693723650722", "title": "Kid A", "artist": "Radiohead"]),
                ])
                let items = try JobItemView.all(in: try await service.waitForJob(job))
                for (mediaType, chain) in Self.chains {
                    let id = ["books": "b", "movies": "m", "games": "g", "musics": "c"][mediaType.rawValue]!
                    let item = try #require(items["\(mediaType.rawValue)/\(id)"], "\(items)")
                    #expect(item.outcome == "notFound", "\(mediaType): \(item)")
                    let entity = EntityView(try await service.entity(mediaType, id))
                    #expect(entity.status == "failed", "\(mediaType): \(entity)")
                    #expect(entity.coverIsNull, "\(mediaType): \(entity)")
                    #expect(entity.permanentFailure == false, "\(mediaType): \(entity)")
                    let reason = try #require(entity.failureReason, "\(mediaType): \(entity)")
                    // One answer per provider, in chain order. Open Library offers its cover-by-ISBN URL
                    // whatever its API says, and that URL answers 404 (`default=false`) when it has none.
                    let expected = chain.map { provider in
                        provider == "openlibrary" ? "openlibrary: 1 image refused (HTTP 404)" : "\(provider): not found"
                    }
                    #expect(reason == expected.joined(separator: "; "), "\(mediaType)")
                }
                // The providers were really asked: each searched its own API.
                let calls = world.apiCalls
                for service in ["openLibrary", "googleBooks", "upcItemDB", "tmdb", "igdb", "giantBomb", "musicBrainz"] {
                    #expect(calls.contains { $0.hasPrefix(service + " ") }, "no call to \(service): \(calls)")
                }
                #expect(try await service.storedImageDocuments() == (0, 0))
            }
        }
    }

    // MARK: Throttling

    @Test("throttled everywhere with no deferral left: outcome deferred, entity left unmarked")
    func throttledEverywhere() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.throttle(retryAfter: "1"))
            var environment = world.environment
            environment[ConfigurationKey.throttleDeferrals.name] = "0"
            try await TestService.with(environment) { service in
                let job = try await service.enrich([
                    (.books, "b", ["isbn": "9780980200447", "title": "Slow Reading"]),
                    (.movies, "m", ["barcode": "883929106967", "title": "The Matrix"]),
                    (.games, "g", ["barcode": "722674120265", "title": "Elden Ring"]),
                    (.musics, "c", ["barcode": "693723650722", "title": "Kid A", "artist": "Radiohead"]),
                ])
                let result = try await service.waitForJob(job)
                #expect((result["counts"] as? [String: Int])?["deferred"] == 4, "\(result)")
                let items = try JobItemView.all(in: result)
                for (mediaType, chain) in Self.chains {
                    let id = ["books": "b", "movies": "m", "games": "g", "musics": "c"][mediaType.rawValue]!
                    let item = try #require(items["\(mediaType.rawValue)/\(id)"], "\(items)")
                    #expect(item.outcome == "deferred", "\(mediaType): \(item)")
                    // The detail says who throttled: the first provider of the chain at least.
                    #expect(item.detail.contains("\(chain[0]): throttled"), "\(mediaType): \(item)")
                    let entity = EntityView(try await service.entity(mediaType, id))
                    #expect(entity.lookupIsNull, "\(mediaType): \(entity)")
                    #expect(entity.coverIsNull, "\(mediaType): \(entity)")
                    #expect(entity.status == "missing", "\(mediaType): \(entity)")
                }
            }
        }
    }

    @Test("a throttled entity is retried after Retry-After, and found once the provider answers")
    func throttledThenRetried() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.throttle(retryAfter: "1"))
            var environment = world.environment
            environment[ConfigurationKey.throttleDeferrals.name] = "1"
            try await TestService.with(environment) { service in
                let job = try await service.enrich([(.books, "b", ["isbn": "9780980200447"])])
                // The first round ends with the task queued again, saying why.
                let client = service.client
                try await waitUntil(deadline: .seconds(10)) {
                    let items = try await client.get("/v1/enrichments/\(job)").json["items"] as? [[String: Any]]
                    return (items?.first?["detail"] as? String)?.hasPrefix("throttled, retrying in 1 s") == true
                }
                let firstRound = world.allRequests
                let lastOfFirstRound = try #require(firstRound.last?.time)
                #expect(firstRound.contains { $0.service == .openLibrary }, "\(firstRound.map(\.path))")
                world[.openLibrary].scenario = .hit

                let item = try JobItemView.only(in: try await service.waitForJob(job))
                #expect(item.outcome == "found", "\(item)")
                let secondRound = Array(world.allRequests.dropFirst(firstRound.count))
                let firstOfSecondRound = try #require(secondRound.first, "no second round of calls")
                let gap = firstOfSecondRound.time - lastOfFirstRound
                #expect(gap >= .milliseconds(950), "the retry came \(gap) after the first round, before the 1 s Retry-After")
                #expect(firstOfSecondRound.service == .openLibrary, "\(secondRound.map(\.path))")

                let entity = EntityView(try await service.entity(.books, "b"))
                #expect(entity.status == "found", "\(entity)")
                #expect(entity.coverImage?["provider"] as? String == "openlibrary", "\(entity)")
                #expect(entity.lookup?["failureReason"] is NSNull, "\(entity)")
            }
        }
    }

    // MARK: Re-runs and force

    @Test("force never re-runs a permanent failure")
    func forceSkipsPermanent() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(world.environment) { service in
                let (first, before) = try await service.enrichOne(.books, "nothing", ["authors": ["Anonymous"]])
                #expect(first.outcome == "permanent", "\(first)")
                let (second, after) = try await service.rerunOne(.books, "nothing", force: true)
                #expect(second.outcome == "skipped", "\(second)")
                #expect(second.detail.contains("permanent"), "\(second)")
                #expect(EntityView(after).status == "permanent", "\(EntityView(after))")
                // Untouched: the same lookup, attempted at the same time.
                #expect(EntityView(after).lookup?["lookupAttemptedAt"] as? String == EntityView(before).lookup?["lookupAttemptedAt"] as? String)
                #expect(world.allRequests.isEmpty, "\(world.allRequests.map(\.path))")
            }
        }
    }

    @Test("an entity looked up once is skipped without force and looked up again with it")
    func forceReruns() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            try await TestService.with(world.environment) { service in
                let (first, _) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447"])
                #expect(first.outcome == "notFound", "\(first)")

                world.setEveryScenario(.hit)
                let before = world.allRequests.count
                let (second, entity) = try await service.rerunOne(.books, "b", force: false)
                #expect(second.outcome == "skipped", "\(second)")
                #expect(second.detail.contains("already looked up"), "\(second)")
                #expect(second.detail.contains("force"), "\(second)")
                #expect(EntityView(entity).status == "failed", "\(EntityView(entity))")
                #expect(world.allRequests.count == before, "a skipped entity was looked up: \(world.allRequests.dropFirst(before).map(\.path))")

                let (third, found) = try await service.rerunOne(.books, "b", force: true)
                #expect(third.outcome == "found", "\(third)")
                let view = EntityView(found)
                #expect(view.status == "found", "\(view)")
                #expect(view.coverImage?["provider"] as? String == "openlibrary", "\(view)")
                #expect(view.lookup?["failureReason"] is NSNull, "\(view)")
            }
        }
    }

    @Test("a re-run never replaces a cover with a smaller one")
    func neverDowngrade() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let path = "/img/catalog.example/cover.jpg"
            let url = world[.openLibrary].imageURL(host: "catalog.example", path: "/cover.jpg")
            world[.openLibrary].setImage(Data(try TestImages.encode(.gradient, width: 800, height: 1200, as: .jpeg)), at: path)
            try await TestService.with(world.environment) { service in
                let (first, firstEntity) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447", "imageUrl": url])
                #expect(first.outcome == "found", "\(first)")
                let large = try #require(EntityView(firstEntity).coverImage, "\(EntityView(firstEntity))")
                #expect(large["width"] as? Int == 800 && large["height"] as? Int == 1200, "\(large)")

                let small = try TestImages.encode(.gradient, width: 300, height: 450, as: .jpeg)
                world[.openLibrary].setImage(Data(small), at: path)
                let (second, secondEntity) = try await service.rerunOne(.books, "b", force: true)
                #expect(second.outcome == "found", "\(second)")
                // The small image was downloaded on the re-run...
                #expect(world[.openLibrary].requests.filter { $0.path == path }.count == 2)
                // ...and the large cover kept.
                let kept = try #require(EntityView(secondEntity).coverImage, "\(EntityView(secondEntity))")
                #expect(kept["id"] as? String == large["id"] as? String, "\(kept) vs \(large)")
                #expect(kept["sha256"] as? String == large["sha256"] as? String, "\(kept) vs \(large)")
                #expect(kept["width"] as? Int == 800 && kept["height"] as? Int == 1200, "\(kept)")
                #expect(EntityView(secondEntity).status == "found")
                #expect(try await service.storedCovers() == 1, "the smaller image was not stored")
            }
        }
    }

    // MARK: Candidates

    @Test("a provider hit whose image is gone falls through to the next provider")
    func deadImageFallsThrough() async throws {
        try await FakeWorld.with { world in
            world[.openLibrary].scenario = .hitWithDeadImage
            try await TestService.with(world.environment) { service in
                let (item, raw) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447"])
                let entity = EntityView(raw)
                #expect(item.outcome == "found", "\(item)")
                #expect(entity.coverImage?["provider"] as? String == "googlebooks", "\(entity)")
                #expect(entity.coverImage?["width"] as? Int == 310, "\(entity)")
                #expect(entity.lookup?["failureReason"] is NSNull, "\(entity)")
                // Open Library was asked and pointed at an image that answered 404.
                #expect(!world[.openLibrary].requests(to: .openLibraryCovers).isEmpty, "\(world[.openLibrary].requests.map(\.path))")
                // The chain stopped at Google Books.
                #expect(world[.upcItemDB].requests.isEmpty, "\(world[.upcItemDB].requests.map(\.path))")
            }
        }
    }

    @Test("selection 'best' asks the whole chain and keeps the largest valid image")
    func bestSelection() async throws {
        try await FakeWorld.with { world in
            // Open Library (first) 300 px wide, Google Books 310, UPCitemdb (last) 200: best is neither first nor last.
            world[.upcItemDB].setDefaultImage(Data(try TestImages.encode(.gradient, width: 200, height: 300, as: .jpeg)))
            var environment = world.environment
            environment[ConfigurationKey.imageSelection.name] = "best"
            try await TestService.with(environment) { service in
                let (item, raw) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447"])
                let entity = EntityView(raw)
                #expect(item.outcome == "found", "\(item)")
                #expect(entity.coverImage?["provider"] as? String == "googlebooks", "\(entity)")
                #expect(entity.coverImage?["width"] as? Int == 310, "\(entity)")
                for kind in [FakeProvider.Kind.openLibrary, .googleBooks, .upcItemDB] {
                    #expect(world[kind].requests.contains { $0.service == .images || $0.service == .openLibraryCovers },
                            "\(kind) served no image: \(world[kind].requests.map(\.path))")
                }
                #expect(try await service.storedCovers() == 1)
            }
        }
    }
}
