import EnricherCore
import Foundation
import Testing

/// What the catalog says is the truth: covers it already has, identifiers it corrects, and lookups that
/// found nothing, tried again on a schedule. Through the API, against the real database server and the fakes.
@Suite("Catalog truth", .serialized)
struct CatalogTruthTests {
    static func lookup(_ entity: [String: Any]) -> [String: Any] { entity["imageLookup"] as? [String: Any] ?? [:] }

    static func date(_ value: Any?) -> Date? { (value as? String).flatMap { try? Date($0, strategy: .iso8601) } }

    @Test("an entity whose catalog has a cover is present: no job without force, no inbound webhook and no scan looks it up (no call at the fakes); force does")
    func present() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(InboundWebhookTests.settings(world)) { service in
                let client = service.client
                let put = try await client.put("/v1/entities/books/p-1", [
                    "title": "Has a cover", "isbn": Identifiers.isbn13(9601), "existingCover": ["url": "https://catalog.example/p-1.jpg"],
                ])
                #expect(put.status == 201, "\(put.text)")
                let stored = try put.json
                #expect(stored["status"] as? String == "present", "\(stored)")
                #expect((stored["existingCover"] as? [String: Any])?["url"] as? String == "https://catalog.example/p-1.jpg")
                #expect(stored["lookupReset"] is NSNull)

                // The catalog's own webhook says so too (a cover without a URL; fields Enricher does not use ignored).
                let created = try await InboundWebhookTests.send(service, try InboundWebhookTests.signed("entity.created", [
                    "mediaType": "books", "id": "p-2", "isbn": Identifiers.isbn13(9602), "existingCover": ["width": 600], "format": "Paperback",
                ]))
                #expect(created.status == 200, "\(created.text)")
                #expect(try created.json["enrichmentJobId"] is NSNull, "\(created.text)")
                let second = try await service.entity(.books, "p-2")
                #expect(second["status"] as? String == "present" && (second["existingCover"] as? [String: Any])?["url"] is NSNull, "\(second)")

                let listed = try await client.get("/v1/entities?status=present")
                #expect((try listed.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["p-1", "p-2"], "\(listed.text)")

                let job = try await service.waitForJob(try await service.rerun([(.books, "p-1"), (.books, "p-2")], force: false))
                for item in try JobItemView.all(in: job).values {
                    #expect(item.outcome == "skipped" && item.detail.contains("existingCover"), "\(item)")
                }
                let scan = try await client.post("/v1/scans", [:])
                #expect(scan.status == 202, "\(scan.text)")
                #expect((try scan.json["pending"] as? [String: Int])?["books"] == 0, "\(scan.text)")
                #expect(world.requestCount == 0, "a present entity was looked up: \(world.apiCalls)")

                // Forced, it is looked up as before.
                let (forced, entity) = try await service.rerunOne(.books, "p-1", force: true)
                #expect(forced.outcome == "found", "\(forced)")
                #expect(entity["status"] as? String == "found", "\(entity)")
                #expect(world.requestCount > 0)

                // The catalog no longer has its cover: the entity awaits a lookup.
                let dropped = try await client.put("/v1/entities/books/p-2", ["isbn": Identifiers.isbn13(9602)])
                #expect(try dropped.json["status"] as? String == "missing", "\(dropped.text)")

                for (body, pointer) in [
                    (["existingCover": "yes"] as [String: Any], "/existingCover"),
                    (["existingCover": ["url": "ftp://catalog.example/c.jpg"]], "/existingCover/url"),
                    (["existingCover": ["url": 3]], "/existingCover/url"),
                    (["existingCover": ["href": "https://catalog.example/c.jpg"]], "/existingCover/href"),
                ] {
                    let refused = try await client.put("/v1/entities/books/p-3", body)
                    #expect(refused.status == 422 && refused.text.contains(pointer), "\(body): \(refused.status) \(refused.text)")
                }
            }
        }
    }

    @Test("an ISBN added to a permanent failure clears it and queues a lookup that finds the cover; unchanged values and found covers are left alone")
    func identifiersChange() async throws {
        try await FakeWorld.with { world in
            try await TestService.with(InboundWebhookTests.settings(world)) { service in
                let client = service.client
                // Nothing to search with: permanent.
                let (permanent, _) = try await service.enrichOne(.books, "r-1", [:])
                #expect(permanent.outcome == "permanent", "\(permanent)")

                let corrected = try await client.put("/v1/entities/books/r-1", ["isbn": Identifiers.isbn13(9611)])
                #expect(corrected.status == 200, "\(corrected.text)")
                let answer = try corrected.json
                #expect(answer["status"] as? String == "missing" && answer["imageLookup"] is NSNull, "\(answer)")
                let reset = try #require(answer["lookupReset"] as? [String: Any], "\(answer)")
                #expect(reset["changed"] as? [String] == ["isbn"], "\(reset)")
                #expect((reset["previousLookup"] as? [String: Any])?["permanentFailure"] as? Bool == true, "\(reset)")
                let jobID = try #require(reset["enrichmentJobId"] as? String, "\(reset)")
                let job = try await service.waitForJob(jobID)
                #expect(try JobItemView.only(in: job).outcome == "found", "\(job)")
                #expect(try await service.entity(.books, "r-1")["status"] as? String == "found")

                // A found cover is kept whatever the catalog changes: nothing cleared, nothing queued.
                let renamed = try await client.put("/v1/entities/books/r-1", ["isbn": Identifiers.isbn13(9612), "title": "Renamed"])
                #expect(try renamed.json["lookupReset"] is NSNull && renamed.json["status"] as? String == "found", "\(renamed.text)")

                // Not found; the same ISBN sent with hyphens is no change.
                world.setEveryScenario(.miss)
                let isbn = Identifiers.isbn13(9613)
                let (missed, _) = try await service.enrichOne(.books, "r-2", ["isbn": isbn, "title": "Obscure"])
                #expect(missed.outcome == "notFound", "\(missed)")
                let hyphenated = isbn.prefix(3) + "-" + isbn.dropFirst(3)
                let same = try await client.put("/v1/entities/books/r-2", ["isbn": String(hyphenated), "title": "Obscure"])
                #expect(try same.json["lookupReset"] is NSNull && same.json["status"] as? String == "failed", "\(same.text)")

                // A batch that corrects a title clears the lookup and queues it in one job.
                world.setEveryScenario(.hit)
                let batch = try await client.post("/v1/entities/batch", ["entities": [
                    ["mediaType": "books", "id": "r-2", "isbn": isbn, "title": "Obscure, corrected"],
                    ["mediaType": "books", "id": "r-9", "isbn": Identifiers.isbn13(9619)],
                ]])
                #expect(batch.status == 200, "\(batch.text)")
                let results = try #require(try batch.json["results"] as? [[String: Any]], "\(batch.text)")
                let batchJob = try #require(try batch.json["enrichmentJobId"] as? String, "\(batch.text)")
                #expect((results[0]["lookupReset"] as? [String: Any])?["changed"] as? [String] == ["title"], "\(results)")
                #expect((results[0]["lookupReset"] as? [String: Any])?["enrichmentJobId"] as? String == batchJob, "\(results)")
                #expect(results[1]["lookupReset"] is NSNull, "a new entity had no lookup to clear: \(results)")
                let batchRun = try await service.waitForJob(batchJob)
                let batchItem = try JobItemView.only(in: batchRun)
                #expect(batchRun["total"] as? Int == 1 && batchItem.outcome == "found", "\(batchRun)")

                // The catalog's entity.updated does the same.
                world.setEveryScenario(.miss)
                _ = try await service.enrichOne(.books, "r-3", ["isbn": Identifiers.isbn13(9614)])
                world.setEveryScenario(.hit)
                let updated = try await InboundWebhookTests.send(service, try InboundWebhookTests.signed("entity.updated", [
                    "mediaType": "books", "id": "r-3", "isbn": Identifiers.isbn13(9614), "year": 1999,
                ]))
                let receipt = try updated.json
                let inboundJob = try #require(receipt["enrichmentJobId"] as? String, "\(updated.text)")
                #expect((receipt["lookupReset"] as? [String: Any])?["changed"] as? [String] == ["year"], "\(updated.text)")
                #expect(try JobItemView.only(in: try await service.waitForJob(inboundJob)).outcome == "found")
            }
        }
    }

    @Test("a notFound lookup is due again after the configured wait and a scan takes it; before that nothing takes it; permanent ones never")
    func retrySchedule() async throws {
        try await FakeWorld.with { world in
            let settings = world.environment.merging([
                ConfigurationKey.retryNotFoundSchedule.name: "4s",
                ConfigurationKey.retryFailedSchedule.name: "1h,2h",
            ]) { $1 }
            try await TestService.with(settings) { service in
                let client = service.client
                world.setEveryScenario(.miss)
                let (missed, entity) = try await service.enrichOne(.books, "n-1", ["isbn": Identifiers.isbn13(9621)])
                #expect(missed.outcome == "notFound", "\(missed)")
                let lookup = Self.lookup(entity)
                let attempted = try #require(Self.date(lookup["lookupAttemptedAt"]), "\(entity)")
                let retryAt = try #require(Self.date(lookup["retryAt"]), "\(entity)")
                #expect(lookup["attempts"] as? Int == 1 && abs(retryAt.timeIntervalSince(attempted) - 4) < 0.01, "\(entity)")

                // Never due by itself: a permanent failure.
                let (permanent, bare) = try await service.enrichOne(.books, "n-2", [:])
                #expect(permanent.outcome == "permanent" && Self.lookup(bare)["retryAt"] is NSNull, "\(bare)")

                // A failed lookup follows the failed schedule.
                world.setEveryScenario(.serverError)
                let (failed, broken) = try await service.enrichOne(.books, "n-3", ["isbn": Identifiers.isbn13(9623)])
                #expect(failed.outcome == "failed", "\(failed)")
                let failedLookup = Self.lookup(broken)
                let failedRetry = try #require(Self.date(failedLookup["retryAt"]), "\(broken)")
                let failedAttempt = try #require(Self.date(failedLookup["lookupAttemptedAt"]))
                #expect(abs(failedRetry.timeIntervalSince(failedAttempt) - 3600) < 0.01, "\(broken)")

                // Before it is due, a job without force skips it and a scan does not take it.
                world.setEveryScenario(.hit)
                if Date() < retryAt.addingTimeInterval(-1) {
                    let early = try await service.rerunOne(.books, "n-1", force: false)
                    #expect(early.item.outcome == "skipped" && early.item.detail.contains("due again at"), "\(early.item)")
                }
                if Date() < retryAt.addingTimeInterval(-1) {
                    let early = try await client.post("/v1/scans", [:])
                    #expect((try early.json["pending"] as? [String: Int])?["books"] == 0, "\(early.text)")
                }

                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(100)) { Date() > retryAt }
                let due = try await client.post("/v1/scans", [:])
                #expect(due.status == 202, "\(due.text)")
                #expect((try due.json["pending"] as? [String: Int])?["books"] == 1, "only n-1 is due: \(due.text)")
                let scanID = try #require(try due.json["id"] as? String)
                let finished = try await ScanTests.waitForScan(scanID, service)
                #expect((finished["counts"] as? [String: Int])?["found"] == 1, "\(finished)")
                let after = try await service.entity(.books, "n-1")
                #expect(after["status"] as? String == "found", "\(after)")
                #expect(Self.lookup(after)["attempts"] as? Int == 0 && Self.lookup(after)["retryAt"] is NSNull, "\(after)")
            }
        }
    }
}
