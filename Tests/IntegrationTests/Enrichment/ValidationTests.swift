import EnricherCore
import Foundation
import Images
import Testing

/// Bad images offered as an entity's own imageUrl: each is refused with a reason a person can act on,
/// and nothing reaches the image store.
@Suite("Image validation through enrichment", .serialized)
struct ValidationTests {
    /// What the providers answer when they all miss, after the imageUrl's refusal.
    static let providersMissed = "openlibrary: 1 image refused (HTTP 404); googlebooks: not found; upcitemdb: not found"

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
                let (item, raw) = try await service.enrichOne(.books, "b", ["isbn": "9780980200447", "imageUrl": url])
                let entity = EntityView(raw)
                // Every refusal of a bad image is a normal answer ("not usable"), and the providers
                // answered too: not found, not failed.
                #expect(item.outcome == "notFound", "\(item)")
                #expect(entity.status == "failed", "\(entity)")
                #expect(entity.coverIsNull, "\(entity)")
                #expect(entity.permanentFailure == false, "\(entity)")
                // The image was really downloaded from the host.
                #expect(host.requests.contains { $0.path == "/img/catalog.example/cover.jpg" }, "\(host.requests.map(\.path))")
                let stored = try await service.storedImageDocuments()
                #expect(stored.files == 0 && stored.chunks == 0, "stored \(stored.files) files, \(stored.chunks) chunks")
                let reason = try #require(entity.failureReason, "\(entity)")
                let prefix = "imageUrl: ", suffix = "; " + Self.providersMissed
                guard reason.hasPrefix(prefix), reason.hasSuffix(suffix) else {
                    Issue.record("failureReason is not 'imageUrl: ...; <providers>': \(reason)")
                    return reason
                }
                return String(reason.dropFirst(prefix.count).dropLast(suffix.count))
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
        let reason = try await refusal(of: Data(Self.pngDeclaring(width: 50_000, height: 50_000)), contentType: "image/png")
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

    /// A PNG signature, an IHDR declaring `width` x `height` (8-bit RGB) with a correct CRC, a tiny IDAT
    /// and IEND: valid up to its header, far too little data for its pixels.
    static func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] {
            [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
        }
        let ihdr = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]  // zlib of one zero byte
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
