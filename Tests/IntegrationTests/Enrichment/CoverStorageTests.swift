import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Images
import Testing

/// Stored covers as a catalog UI uses them: renditions listed on the entity and served with caching
/// headers, one copy per picture, and housekeeping that keeps storage and entities in step.
@Suite("Cover storage and serving", .serialized)
struct CoverStorageTests {
    /// Serves `bytes` at an own imageUrl on the Open Library fake (every provider missing otherwise).
    static func host(_ bytes: [UInt8], as contentType: String, named name: String, in world: FakeWorld) -> String {
        world[.openLibrary].setImage(Data(bytes), contentType: contentType, at: "/img/catalog.example/\(name)")
        return world[.openLibrary].imageURL(host: "catalog.example", path: "/\(name)")
    }

    @Test("coverImage lists the original and each rendition, each served with its size, type, ETag and caching")
    func renditionsListedAndServed() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            // Noise compresses badly: the original spans several GridFS chunks.
            let url = Self.host(try TestImages.encode(.noise(seed: 3), width: 2000, height: 3000, as: .jpeg), as: "image/jpeg", named: "big.jpg", in: world)
            try await TestService.with(world.environment) { service in
                let (item, raw) = try await service.enrichOne(.books, "r", ["isbn": "9780980200447", "imageUrl": url])
                #expect(item.outcome == "found", "\(item)")
                let cover = try #require(EntityView(raw).coverImage)
                let id = try #require(cover["id"] as? String)
                let renditions = try #require(cover["renditions"] as? [[String: Any]])
                let byName = Dictionary(uniqueKeysWithValues: renditions.map { ($0["name"] as? String ?? "", $0) })
                #expect(Set(byName.keys) == ["original", "thumb", "display"], "\(renditions)")
                let expected = ["original": (2000, 3000), "thumb": (200, 300), "display": (800, 1200)]
                for (name, size) in expected {
                    let rendition = try #require(byName[name])
                    #expect(rendition["width"] as? Int == size.0 && rendition["height"] as? Int == size.1, "\(name): \(rendition)")
                    #expect(rendition["url"] as? String == "/v1/images/\(id)/\(name)")
                    #expect(rendition["contentType"] as? String == "image/jpeg")
                    let served = try await service.client.send("GET", "/v1/images/\(id)/\(name)", auth: .none)
                    #expect(served.status == 200, "\(name): \(served.status)")
                    #expect(served.body.count == rendition["bytes"] as? Int, "\(name)")
                    #expect(served.body.prefix(3) == Data([0xFF, 0xD8, 0xFF]), "\(name) is not a JPEG")
                    #expect(served.header("Content-Type") == "image/jpeg")
                    #expect(served.header("Cache-Control") == "public, max-age=31536000, immutable")
                    let etag = try #require(served.header("ETag"))
                    #expect(etag == "\"\(sha256Hex(served.body))\"", "the ETag is the SHA-256 of what is served")
                    let again = try await service.client.send("GET", "/v1/images/\(id)/\(name)", auth: .none, headers: ["If-None-Match": etag])
                    #expect(again.status == 304 && again.body.isEmpty, "\(name): \(again.status)")
                }
                // The original (multi-chunk in GridFS) is what GET /v1/images/{id} serves too.
                let original = try await service.client.send("GET", "/v1/images/\(id)", auth: .none)
                let named = try await service.client.send("GET", "/v1/images/\(id)/original", auth: .none)
                #expect(original.body == named.body && original.body.count > 255 * 1024, "\(original.body.count) bytes")
                let head = try await RawAnswer.exchange(port: service.client.port, "HEAD", "/v1/images/\(id)/thumb")
                #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "\(byName["thumb"]?["bytes"] as? Int ?? -1)", "\(head)")
                let unknown = try await service.client.send("GET", "/v1/images/\(id)/poster", auth: .none)
                #expect(unknown.status == 404 && unknown.header("Content-Type") == "application/problem+json", "\(unknown.status)")
                #expect(try unknown.json["detail"] as? String == "image \(id) has no rendition 'poster'; it has original, thumb, display")
            }
        }
    }

    @Test("the same picture for two entities is stored once; a re-encoded copy is recognised by its perceptual hash")
    func storedOnce() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let png = try TestImages.encode(.gradient, width: 600, height: 900, as: .png)
            let jpeg = try TestImages.encode(.gradient, width: 600, height: 900, as: .jpeg)
            let first = Self.host(png, as: "image/png", named: "a.png", in: world)
            let copy = Self.host(jpeg, as: "image/jpeg", named: "b.jpg", in: world)
            try await TestService.with(world.environment) { service in
                let job = try await service.enrich([
                    (.books, "one", ["isbn": "9780980200447", "imageUrl": first]),
                    (.books, "two", ["isbn": "9780980200447", "imageUrl": first]),
                ])
                _ = try await service.waitForJob(job)
                let (item, _) = try await service.enrichOne(.books, "three", ["isbn": "9780980200447", "imageUrl": copy])
                #expect(item.outcome == "found", "\(item)")
                var ids: [String] = []
                for id in ["one", "two", "three"] {
                    let cover = try #require(EntityView(try await service.entity(.books, id)).coverImage, "\(id)")
                    ids.append(cover["id"] as? String ?? "")
                }
                #expect(Set(ids).count == 1, "three entities, one picture: \(ids)")
                #expect(ids[0] == sha256Hex(Data(png)), "the cover is keyed by the first download's SHA-256")
                #expect(try await service.database.collection("covers").countDocuments() == 1)
                #expect(try await service.database.collection("images.files").countDocuments() == 3, "original, thumb, display once")
            }
        }
    }

    @Test("housekeeping deletes a cover no entity shows after the grace period, and keeps the others")
    func housekeeping() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let kept = Self.host(try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg), as: "image/jpeg", named: "kept.jpg", in: world)
            let dropped = Self.host(try TestImages.encode(.gradient, width: 500, height: 500, as: .jpeg), as: "image/jpeg", named: "dropped.jpg", in: world)
            // A week between background sweeps: the test runs the sweeps itself.
            try await TestService.with(world.environment.merging(["ENRICHER_IMAGE_GC_GRACE_HOURS": "0",
                                                                  "ENRICHER_IMAGE_GC_INTERVAL_SECONDS": "604800"]) { $1 }) { service in
                let job = try await service.enrich([
                    (.books, "kept", ["isbn": "9780980200447", "imageUrl": kept]),
                    (.books, "dropped", ["isbn": "9780980200447", "imageUrl": dropped]),
                ])
                _ = try await service.waitForJob(job)
                let droppedID = try #require(EntityView(try await service.entity(.books, "dropped")).coverImage?["id"] as? String)
                #expect(try await service.client.delete("/v1/entities/books/dropped").status == 204)
                let housekeeping = service.application.coverHousekeeping
                #expect(try await housekeeping.sweep().coversDeleted == 0, "the first sweep only notes the cover unused")
                #expect(try await housekeeping.sweep().coversDeleted == 1, "the second, past the (zero) grace period, deletes it")
                #expect(try await service.client.send("GET", "/v1/images/\(droppedID)", auth: .none).status == 404)
                #expect(try await service.database.collection("covers").countDocuments() == 1)
                #expect(try await service.database.collection("images.files").countDocuments() == 3)
                let keptID = try #require(EntityView(try await service.entity(.books, "kept")).coverImage?["id"] as? String)
                #expect(try await service.client.send("GET", "/v1/images/\(keptID)/thumb", auth: .none).status == 200)
            }
        }
    }

    @Test("reconcile reports drift and --repair makes lost renditions again and clears references to lost covers")
    func reconcile() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let one = Self.host(try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg), as: "image/jpeg", named: "one.jpg", in: world)
            let two = Self.host(try TestImages.encode(.gradient, width: 700, height: 500, as: .jpeg), as: "image/jpeg", named: "two.jpg", in: world)
            try await TestService.with(world.environment) { service in
                let job = try await service.enrich([
                    (.books, "one", ["isbn": "9780980200447", "imageUrl": one]),
                    (.books, "two", ["isbn": "9780980200447", "imageUrl": two]),
                ])
                _ = try await service.waitForJob(job)
                let oneID = try #require(EntityView(try await service.entity(.books, "one")).coverImage?["id"] as? String)
                let twoID = try #require(EntityView(try await service.entity(.books, "two")).coverImage?["id"] as? String)
                let store = CoverStore(database: service.database)
                // Drift: one cover loses its thumbnail file; the other cover disappears altogether.
                try await store.blobs.delete(try #require(try await store.cover(oneID)?.file("thumb")).fileId)
                try await store.delete(try #require(try await store.cover(twoID)))

                let configuration = service.application.configuration
                let found = try await Maintenance.reconcileImages(configuration: configuration, repair: false, logger: .quiet)
                #expect(found.missingFiles == [oneID: ["thumb"]], "\(found)")
                #expect(found.danglingReferences == ["books/two"], "\(found)")
                #expect(found.renditionsMade.isEmpty && found.referencesCleared.isEmpty, "nothing changes without --repair")

                let repaired = try await Maintenance.reconcileImages(configuration: configuration, repair: true, logger: .quiet)
                #expect(repaired.renditionsMade == [oneID: ["thumb"]], "\(repaired)")
                #expect(repaired.referencesCleared == ["books/two"], "\(repaired)")
                #expect(try await service.client.send("GET", "/v1/images/\(oneID)/thumb", auth: .none).status == 200)
                let two = EntityView(try await service.entity(.books, "two"))
                #expect(two.status == "missing" && two.coverIsNull && two.lookupIsNull, "\(two)")

                let clean = try await Maintenance.reconcileImages(configuration: configuration, repair: false, logger: .quiet)
                #expect(clean.isClean, "\(clean)")
            }
        }
    }
}
