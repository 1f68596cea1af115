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
                #expect(coverImage["contentType"] as? String == "image/png")
                #expect(entity["status"] as? String == "found")
                let lookup = try #require(entity["imageLookup"] as? [String: Any])
                #expect(lookup["failureReason"] is NSNull)
                // Only the image itself was fetched: no provider API call.
                let apiCalls = world.fakes.values.flatMap(\.requests).filter { !$0.path.hasPrefix("/img/") }
                #expect(apiCalls.isEmpty, "\(apiCalls.map(\.path))")
                // The stored cover is byte for byte what was downloaded.
                let served = try await service.client.send("GET", "/v1/images/\(coverImage["id"] as! String)", auth: .none)
                #expect(served.status == 200)
                #expect(served.body == Data(cover))
                #expect(served.header("Content-Type") == "image/png")
            }
        }
    }
}
