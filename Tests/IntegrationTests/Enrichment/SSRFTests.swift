import EnricherCore
import Foundation
import Testing

/// The server-side request forgery guard, through enrichment: image URLs (the entity's own, or a
/// provider's, redirects included) that lead to loopback, private or link-local addresses are refused
/// before any connection is made, and the refusal is reported in failureReason.
@Suite("SSRF guard through enrichment", .serialized)
struct SSRFTests {
    /// Enriches a book whose own imageUrl is `url`, with FakeWorld's allow-list (127.0.0.1/32 only) and
    /// every provider missing; checks the outcome and that nothing was stored; returns the imageUrl's refusal.
    private func refusal(ofImageURL url: String, in world: FakeWorld, extra: [String: String] = [:]) async throws -> String {
        world.setEveryScenario(.miss)
        return try await TestService.with(world.environment.merging(extra) { $1 }) { service in
            try await service.ownImageRefusal(url)
        }
    }

    @Test("an imageUrl on another loopback address (127.0.0.2) is refused; its server sees nothing")
    func otherLoopbackAddress() async throws {
        try await FakeWorld.with { world in
            try await RecordingServer.with(host: "127.0.0.2") { server in
                let reason = try await refusal(ofImageURL: "\(server.base)/x.jpg", in: world)
                #expect(reason == "address refused: 127.0.0.2 is loopback, which Enricher does not connect to", "\(reason)")
                #expect(server.requests.isEmpty, "\(server.requests)")
            }
        }
    }

    @Test("an imageUrl on a private address (10.0.0.1) is refused")
    func privateAddress() async throws {
        try await FakeWorld.with { world in
            let reason = try await refusal(ofImageURL: "http://10.0.0.1/x.jpg", in: world)
            #expect(reason == "address refused: 10.0.0.1 is private, which Enricher does not connect to", "\(reason)")
        }
    }

    @Test("an imageUrl on the cloud metadata address (169.254.169.254) is refused")
    func cloudMetadata() async throws {
        try await FakeWorld.with { world in
            let reason = try await refusal(ofImageURL: "http://169.254.169.254/latest/meta-data/", in: world)
            #expect(reason == "address refused: 169.254.169.254 is link-local (cloud metadata lives here), which Enricher does not connect to", "\(reason)")
        }
    }

    @Test("an imageUrl on IPv6 loopback ([::1]) is refused; its server sees nothing")
    func ipv6Loopback() async throws {
        try await FakeWorld.with { world in
            try await RecordingServer.with(host: "::1") { server in
                let reason = try await refusal(ofImageURL: "\(server.base)/x.jpg", in: world)
                #expect(reason == "address refused: ::1 is loopback, which Enricher does not connect to", "\(reason)")
                #expect(server.requests.isEmpty, "\(server.requests)")
            }
        }
    }

    @Test("the loopback servers are reachable once allow-listed (so 'sees nothing' above means refused)")
    func allowListedServersAreReached() async throws {
        try await FakeWorld.with { world in
            try await RecordingServer.with(host: "127.0.0.2") { v4 in
                try await RecordingServer.with(host: "::1") { v6 in
                    var environment = world.environment
                    environment[ConfigurationKey.outboundAllow.name] = "127.0.0.1/32,127.0.0.2/32,::1/128"
                    try await TestService.with(environment) { service in
                        for (id, server) in [("v4", v4), ("v6", v6)] {
                            let (item, raw) = try await service.enrichOne(.books, id, ["isbn": "9780980200447", "imageUrl": "\(server.base)/x.jpg"])
                            #expect(item.outcome == "found", "\(server.base): \(item)")
                            #expect(EntityView(raw).coverImage?["provider"] as? String == "imageUrl", "\(EntityView(raw))")
                            #expect(server.requests == ["GET /x.jpg"], "\(server.base): \(server.requests)")
                        }
                    }
                }
            }
        }
    }

    @Test("a provider's image that redirects to a loopback address is refused; the target sees nothing")
    func redirectToLoopback() async throws {
        try await FakeWorld.with { world in
            try await RecordingServer.with(host: "127.0.0.2") { server in
                world.setEveryScenario(.miss)
                // Google Books finds the book; its image host answers every image with a redirect to 127.0.0.2.
                let googleBooks = world[.googleBooks]
                googleBooks.scenario = .hit
                googleBooks.setScenario(.reply(status: 302, body: "", headers: ["Location": "\(server.base)/cover.jpg"]), for: .images)
                try await TestService.with(world.environment) { service in
                    let (item, raw) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447"])
                    let entity = EntityView(raw)
                    #expect(item.outcome == "notFound", "\(item)")
                    #expect(entity.status == "failed", "\(entity)")
                    #expect(entity.coverIsNull, "\(entity)")
                    let reason = try #require(entity.failureReason, "\(entity)")
                    let answers = reason.components(separatedBy: "; ")
                    #expect(answers.count == 3, "\(reason)")
                    let google = answers.first { $0.hasPrefix("googlebooks: ") } ?? ""
                    #expect(google.contains("refused (address refused: 127.0.0.2 is loopback, which Enricher does not connect to"), "\(reason)")
                    let redirected = googleBooks.requests(to: .images)
                    #expect(!redirected.isEmpty, "Google Books' image host was never asked: \(googleBooks.requests.map(\.path))")
                    #expect(server.requests.isEmpty, "\(server.requests)")
                    let stored = try await service.storedImageDocuments()
                    #expect(stored.files == 0 && stored.chunks == 0, "stored \(stored.files) files, \(stored.chunks) chunks")
                }
            }
        }
    }

    @Test("a host name resolving to loopback (localhost) is refused when nothing is allow-listed")
    func localhostName() async throws {
        try await RecordingServer.with(host: "127.0.0.1") { server in
            let environment = [
                ConfigurationKey.outboundAllow.name: "",
                ConfigurationKey.contact.name: "tests@example.org",
                ConfigurationKey.providersDisabled.name: "openlibrary,googlebooks,upcitemdb,tmdb,giantbomb,igdb,musicbrainz",
            ]
            try await TestService.with(environment) { service in
                let (item, raw) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447", "imageUrl": "http://localhost:\(server.port)/x.jpg"])
                let entity = EntityView(raw)
                #expect(item.outcome == "notFound", "\(item)")
                #expect(entity.status == "failed", "\(entity)")
                #expect(entity.coverIsNull, "\(entity)")
                let reason = try #require(entity.failureReason, "\(entity)")
                // localhost may resolve to 127.0.0.1, ::1 or both: each address tried is named.
                #expect(reason.hasPrefix("imageUrl: address refused: "), "\(reason)")
                #expect(reason.contains("127.0.0.1 is loopback") || reason.contains("::1 is loopback"), "\(reason)")
                #expect(server.requests.isEmpty, "\(server.requests)")
                let stored = try await service.storedImageDocuments()
                #expect(stored.files == 0 && stored.chunks == 0, "stored \(stored.files) files, \(stored.chunks) chunks")
            }
        }
    }
}
