import EnricherCore
import Foundation
import Images
import Testing

/// Bad images offered as an entity's own imageUrl: each is refused with a reason a person can act on,
/// and nothing reaches the image store.
@Suite("Image validation through enrichment", .serialized)
struct ValidationTests {
    /// Serves `bytes` as `image/jpeg` at the book's own imageUrl, every provider missing, and checks
    /// the outcome: notFound, `imageUrl: <refusal>` first in failureReason, no cover, nothing stored.
    /// Returns the imageUrl's refusal.
    private func refusal(of bytes: Data, contentType: String = "image/jpeg") async throws -> String {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let host = world[.googleBooks]
            host.setImage(bytes, contentType: contentType, at: "/img/catalog.example/cover.jpg")
            let url = host.imageURL(host: "catalog.example", path: "/cover.jpg")
            return try await TestService.with(world.environment) { service in
                let reason = try await service.ownImageRefusal(url)
                // The image was really downloaded from the host.
                #expect(host.requests.contains { $0.path == "/img/catalog.example/cover.jpg" }, "\(host.requests.map(\.path))")
                return reason
            }
        }
    }

    @Test("a truncated JPEG is refused as undecodable")
    func truncatedJPEG() async throws {
        let jpeg = try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg)
        let reason = try await refusal(of: Data(jpeg.prefix(jpeg.count / 2)))
        #expect(reason.hasPrefix("image cannot be decoded: "), "\(reason)")
    }

    @Test("a 1x1 GIF is refused as a tracking pixel")
    func onePixelGIF() async throws {
        let reason = try await refusal(of: FakeProvider.onePixelGIF, contentType: "image/gif")
        #expect(reason == "image is a placeholder: 1x1 image, a spacer or tracking pixel", "\(reason)")
    }

    @Test("a single solid colour is refused as a placeholder")
    func solidColour() async throws {
        let png = try TestImages.encode(.solidColour, width: 400, height: 600, as: .png)
        let reason = try await refusal(of: Data(png), contentType: "image/png")
        #expect(reason.hasPrefix("image is a placeholder: a single solid colour"), "\(reason)")
    }

    @Test("an HTML page served as image/jpeg is refused, quoting how it starts")
    func htmlAsJPEG() async throws {
        let html = "<!DOCTYPE html><html><head><title>Not Found</title></head><body>Gone</body></html>"
        let reason = try await refusal(of: Data(html.utf8))
        #expect(reason == "bytes are not JPEG, PNG, WebP or GIF (starts with '<!DOCTYPE html><html><head><titl...')", "\(reason)")
    }

    @Test("an image declaring 50,000 x 50,000 pixels is refused from its header")
    func decompressionBomb() async throws {
        let reason = try await refusal(of: Data(TestImages.pngDeclaring(width: 50_000, height: 50_000)), contentType: "image/png")
        #expect(reason == "image is 50000x50000 (2500000000 pixels), over the limit of 40000000 pixels", "\(reason)")
    }

    @Test("an 11 MiB image is cut off at the 10 MiB byte cap")
    func tooManyBytes() async throws {
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 11 * 1024 * 1024 - 4)
        let bytes = Data([0xFF, 0xD8, 0xFF, 0xE0]) + random
        let reason = try await refusal(of: bytes)
        // The download stopped at the cap: the reason names the limit, never the image's real size.
        #expect(reason == "image is larger than the limit of 10485760 bytes (download aborted)", "\(reason)")
        #expect(!reason.contains("\(bytes.count)"), "\(reason)")
    }
}
