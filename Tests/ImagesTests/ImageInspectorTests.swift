import Crypto
import Foundation
import Images
import Testing

@Suite("Image checks")
struct ImageInspectorTests {
    private let inspector: ImageInspector

    init() throws {
        inspector = try ImageInspector(limits: ImageLimits(), threads: 2, queueLimit: 64)
    }

    // MARK: Accepted covers

    @Test("gradient covers in every format pass with their facts")
    func gradientCoversInEveryFormatPassWithTheirFacts() async throws {
        for format in ImageFormat.allCases {
            let bytes = try TestImages.encode(.gradient, width: 400, height: 600, as: format)
            let image = try await inspector.inspect(bytes)
            #expect(image == InspectedImage(format: format, width: 400, height: 600, bytes: bytes.count,
                                            sha256: Self.sha256(bytes)), "\(format)")
            #expect(image.contentType == "image/\(format.rawValue)")
        }
    }

    // MARK: Cheap refusals

    @Test("HTML is not an image and the rejection shows how it starts")
    func htmlIsNotAnImageAndTheRejectionShowsHowItStarts() async throws {
        let html = Array("<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>".utf8)
        let rejection = await rejection(of: html)
        guard case .notAnImage = rejection else { Issue.record("got \(String(describing: rejection))"); return }
        #expect(rejection?.description ==
                       "bytes are not JPEG, PNG, WebP or GIF (starts with '<!DOCTYPE html><html><head><titl...')")
    }

    @Test("binary garbage is not an image and is shown as hex")
    func binaryGarbageIsNotAnImageAndIsShownAsHex() async throws {
        let rejection = await rejection(of: [0x00, 0x01, 0xFE, 0x7F, 0x80, 0x00, 0x00, 0x00, 0x09])
        #expect(rejection == .notAnImage("starts with bytes 00 01 fe 7f 80 00 00 00"))
    }

    @Test("eleven mebibytes are too large before anything else")
    func elevenMebibytesAreTooLargeBeforeAnythingElse() async throws {
        // A JPEG magic number followed by filler: the byte count alone decides.
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x5A, count: 11 * 1_048_576 - 4)
        let rejection = await rejection(of: bytes)
        #expect(rejection == .tooLarge(bytes: 11 * 1_048_576, limit: 10_485_760))
    }

    @Test("known placeholder digest is refused")
    func knownPlaceholderDigestIsRefused() async throws {
        let bytes = try TestImages.encode(.gradient, width: 300, height: 450, as: .jpeg)
        let limits = ImageLimits(placeholderSHA256s: [Self.sha256(bytes).uppercased()])
        let strict = try ImageInspector(limits: limits, threads: 1, queueLimit: 4)
        defer { strict.shutdown() }
        let rejection = await rejection(of: bytes, by: strict)
        guard case let .placeholder(reason) = rejection else { Issue.record("got \(String(describing: rejection))"); return }
        #expect(reason.contains("known placeholder"), "\(reason)")
        // The same bytes pass an inspector that does not know them.
        _ = try await inspector.inspect(bytes)
    }

    // MARK: Sizes, from the header

    @Test("a PNG declaring fifty thousand squared is refused from its header")
    func pngDeclaringFiftyThousandSquaredIsRefusedFromItsHeader() async throws {
        let bomb = TestImages.pngDeclaring(width: 50_000, height: 50_000)
        let clock = ContinuousClock()
        var rejection: ImageRejection?
        let elapsed = await clock.measure { rejection = await self.rejection(of: bomb) }
        #expect(rejection == .tooManyPixels(width: 50_000, height: 50_000, limit: 40_000_000))
        // Decoding (or even allocating) 2.5 gigapixels would take far longer than this.
        #expect(elapsed < .seconds(5), "a header-only refusal took \(elapsed)")
        #expect(rejection?.description ==
                       "image is 50000x50000 (2500000000 pixels), over the limit of 40000000 pixels")
    }

    @Test("a JPEG declaring huge dimensions is refused from its header")
    func jpegDeclaringHugeDimensionsIsRefusedFromItsHeader() async throws {
        var bytes = try TestImages.encode(.gradient, width: 120, height: 160, as: .jpeg)
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])  // 65000 x 65000
        let clock = ContinuousClock()
        var rejection: ImageRejection?
        let elapsed = await clock.measure { rejection = await self.rejection(of: bytes) }
        #expect(rejection == .tooManyPixels(width: 65_000, height: 65_000, limit: 40_000_000))
        #expect(elapsed < .seconds(5), "a header-only refusal took \(elapsed)")
    }

    @Test("a short side of 99 is too small and 100 passes")
    func shortSideOf99IsTooSmallAnd100Passes() async throws {
        let small = try TestImages.encode(width: 99, height: 150, as: .png)
        let smallRejection = await rejection(of: small)
        #expect(smallRejection == .tooSmall(width: 99, height: 150, minShortSide: 100))
        let enough = try TestImages.encode(width: 150, height: 100, as: .png)
        let image = try await inspector.inspect(enough)
        #expect(image.width == 150 && image.height == 100)
    }

    @Test("a one-pixel GIF is a placeholder")
    func onePixelGIFIsAPlaceholder() async throws {
        let pixel = try TestImages.encode(width: 1, height: 1, as: .gif)
        let rejection = await rejection(of: pixel)
        #expect(rejection == .placeholder("1x1 image, a spacer or tracking pixel"))
    }

    // MARK: Pixels

    @Test("a truncated JPEG is undecodable")
    func truncatedJPEGIsUndecodable() async throws {
        let whole = try TestImages.encode(width: 400, height: 600, as: .jpeg)
        let rejection = await rejection(of: Array(whole.prefix(whole.count / 2)))
        guard case let .undecodable(detail) = rejection else { Issue.record("got \(String(describing: rejection))"); return }
        #expect(!detail.isEmpty)
    }

    @Test("truncated PNG, WebP and GIF are undecodable")
    func truncatedPNGWebPAndGIFAreUndecodable() async throws {
        for format in [ImageFormat.png, .webp, .gif] {
            let whole = try TestImages.encode(width: 400, height: 600, as: format)
            let rejection = await rejection(of: Array(whole.prefix(whole.count / 2)))
            guard case .undecodable = rejection else { Issue.record("\(format): got \(String(describing: rejection))"); return }
        }
    }

    @Test("a PNG with a corrupt block is undecodable")
    func pngWithACorruptBlockIsUndecodable() async throws {
        var bytes = try TestImages.encode(width: 400, height: 600, as: .png)
        bytes.replaceSubrange((bytes.count / 2)..<(bytes.count / 2 + 64), with: [UInt8](repeating: 0, count: 64))
        let rejection = await rejection(of: bytes)
        guard case .undecodable = rejection else { Issue.record("got \(String(describing: rejection))"); return }
    }

    @Test("a solid-colour PNG is a placeholder")
    func solidColourPNGIsAPlaceholder() async throws {
        let flat = try TestImages.encode(.solidColour, width: 400, height: 600, as: .png)
        let rejection = await rejection(of: flat)
        guard case let .placeholder(reason) = rejection else { Issue.record("got \(String(describing: rejection))"); return }
        #expect(reason.contains("solid colour"), "\(reason)")
    }

    @Test("a solid-colour JPEG is a placeholder despite compression")
    func solidColourJPEGIsAPlaceholderDespiteCompression() async throws {
        let flat = try TestImages.encode(.solidColour, width: 400, height: 600, as: .jpeg)
        let rejection = await rejection(of: flat)
        guard case .placeholder = rejection else { Issue.record("got \(String(describing: rejection))"); return }
    }

    // MARK: Concurrency and lifecycle

    @Test("twenty inspections in parallel all complete")
    func twentyInspectionsInParallelAllComplete() async throws {
        let covers = try (0..<20).map { index in
            try TestImages.encode(width: 300 + index, height: 450, as: ImageFormat.allCases[index % 4])
        }
        let inspector = self.inspector
        // Every libvips call asserts (in debug builds) that it runs outside any Swift task, on an executor thread.
        let widths = try await withThrowingTaskGroup(of: Int.self) { group in
            for cover in covers {
                group.addTask { try await inspector.inspect(cover).width }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(widths.sorted() == Array(300..<320))
    }

    @Test("after shutdown an inspection is unavailable")
    func afterShutdownInspectionIsUnavailable() async throws {
        let cover = try TestImages.encode(width: 200, height: 300, as: .jpeg)
        inspector.shutdown()
        let rejection = await rejection(of: cover)
        #expect(rejection == .unavailable)
    }

    // MARK: Helpers

    private func rejection(of bytes: [UInt8], by inspector: ImageInspector? = nil) async -> ImageRejection? {
        do {
            let image = try await (inspector ?? self.inspector).inspect(bytes)
            Issue.record("accepted \(image)")
            return nil
        } catch {
            return error
        }
    }

    private static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
