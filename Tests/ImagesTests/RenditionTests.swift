import Images
import Testing

@Suite("Renditions")
struct RenditionTests {
    private let inspector: ImageInspector

    init() throws {
        inspector = try ImageInspector(limits: ImageLimits(), threads: 2, queueLimit: 16)
    }

    // MARK: Sizes and formats

    @Test("each rendition fits its long side and the original keeps the full size", arguments: OutputFormat.allCases)
    func eachRenditionFitsItsLongSide(format: OutputFormat) async throws {
        let source = try TestImages.encode(.noise(seed: 3), width: 2000, height: 3000, as: .jpeg)
        let processed = try await inspector.process(source, settings: RenditionSettings(format: format))

        #expect(processed.renditions.map(\.name) == ["thumb", "display"])
        let sizes = [processed.original] + processed.renditions.map(\.image)
        #expect(sizes.map { [$0.width, $0.height] } == [[2000, 3000], [200, 300], [800, 1200]])
        for image in sizes {
            #expect(image.format == format)
            #expect(image.contentType == "image/\(format.rawValue)")
            #expect(ImageFormat(magicNumberOf: image.bytes) == (format == .jpeg ? .jpeg : .webp))
            let described = try TestImages.describe(image.bytes)
            #expect((described.width, described.height) == (image.width, image.height))
        }
    }

    @Test("a tiny image is never enlarged")
    func tinyImageIsNeverEnlarged() async throws {
        let source = try TestImages.encode(.gradient, width: 120, height: 80, as: .png)
        let processed = try await inspector.process(source, settings: RenditionSettings())
        let sizes = ([processed.original] + processed.renditions.map(\.image)).map { [$0.width, $0.height] }
        #expect(sizes == [[120, 80], [120, 80], [120, 80]])
        #expect(try TestImages.describe(processed.renditions[0].image.bytes).width == 120)
    }

    @Test("a configured list and quality are honoured")
    func configuredListAndQualityAreHonoured() async throws {
        let source = try TestImages.encode(.noise(seed: 4), width: 1600, height: 1000, as: .jpeg)
        let settings = RenditionSettings(renditions: [RenditionSpec(name: "small", longSide: 160)], quality: 30)
        let low = try await inspector.process(source, settings: settings)
        var better = settings
        better.quality = 95
        let high = try await inspector.process(source, settings: better)
        #expect(low.renditions.map(\.name) == ["small"])
        #expect((low.renditions[0].image.width, low.renditions[0].image.height) == (160, 100))
        #expect(low.original.bytes.count < high.original.bytes.count)
    }

    // MARK: Normalization

    @Test("EXIF orientation 6 is applied and no orientation tag is left")
    func exifOrientation6IsApplied() async throws {
        // Stored 600 x 400: red, green / blue, white. Turned 90 degrees clockwise it shows blue, red / white, green.
        let source = try TestImages.orientedJPEG(.quadrants, storedWidth: 600, storedHeight: 400, orientation: 6)
        let stored = try TestImages.describe(source)
        #expect((stored.width, stored.height, stored.orientation, stored.hasEXIF) == (600, 400, 6, true))

        let processed = try await inspector.process(source, settings: RenditionSettings())
        #expect((processed.original.width, processed.original.height) == (400, 600))
        let thumb = try #require(processed.rendition(named: "thumb"))
        #expect((thumb.width, thumb.height) == (200, 300))
        for image in [processed.original, thumb] {
            let described = try TestImages.describe(image.bytes)
            #expect(described.orientation == 1 && !described.hasEXIF)
            let (w, h) = (image.width, image.height)
            try expectColour(image.bytes, x: w / 4, y: h / 4, is: [0, 0, 255], "top-left")
            try expectColour(image.bytes, x: 3 * w / 4, y: h / 4, is: [255, 0, 0], "top-right")
            try expectColour(image.bytes, x: w / 4, y: 3 * h / 4, is: [255, 255, 255], "bottom-left")
            try expectColour(image.bytes, x: 3 * w / 4, y: 3 * h / 4, is: [0, 255, 0], "bottom-right")
        }
    }

    @Test("a CMYK JPEG comes out as 8-bit sRGB")
    func cmykJPEGComesOutAsSRGB() async throws {
        let source = try TestImages.cmykJPEG(.quadrants, width: 400, height: 600)
        let stored = try TestImages.describe(source)
        #expect((stored.colourSpace, stored.bands) == (.cmyk, 4))

        let processed = try await inspector.process(source, settings: RenditionSettings())
        for image in [processed.original] + processed.renditions.map(\.image) {
            let described = try TestImages.describe(image.bytes)
            #expect((described.colourSpace, described.bands, described.bitsPerSample) == (.sRGB, 3, 8))
            #expect(!described.hasICCProfile)
        }
        // Through a print profile red is no longer pure, but still clearly red.
        let red = try TestImages.pixel(of: processed.original.bytes, x: 100, y: 150)
        #expect(red[0] > 180 && red[1] < 90 && red[2] < 90, "\(red)")
    }

    @Test("a 16-bit PNG comes out as 8-bit sRGB with the same colours")
    func sixteenBitPNGComesOutAs8Bit() async throws {
        let source = try TestImages.sixteenBitPNG(.gradient, width: 400, height: 600)
        let stored = try TestImages.describe(source)
        #expect((stored.colourSpace, stored.bitsPerSample) == (.rgb16, 16))

        let settings = RenditionSettings(quality: 95)
        let processed = try await inspector.process(source, settings: settings)
        let described = try TestImages.describe(processed.original.bytes)
        #expect((described.colourSpace, described.bands, described.bitsPerSample) == (.sRGB, 3, 8))
        // The same gradient at 8 bits: pixel (300, 150) is about (191, 64, 148).
        let eightBit = try await inspector.process(TestImages.encode(.gradient, width: 400, height: 600, as: .png),
                                                   settings: settings)
        let expected = try TestImages.pixel(of: eightBit.original.bytes, x: 300, y: 150)
        try expectColour(processed.original.bytes, x: 300, y: 150, is: expected, "16-bit gradient", tolerance: 4)
    }

    @Test("alpha is flattened onto the background for JPEG")
    func alphaIsFlattenedOntoTheBackgroundForJPEG() async throws {
        let source = try TestImages.transparentPNG(.gradient, width: 400, height: 600)
        #expect(try TestImages.describe(source).bands == 4)
        let red = try #require(RGB(hex: "#ff0000"))
        let processed = try await inspector.process(source, settings: RenditionSettings(background: red))
        for image in [processed.original] + processed.renditions.map(\.image) {
            #expect(try TestImages.describe(image.bytes).bands == 3)
            let (w, h) = (image.width, image.height)
            // The transparent left half is the background; the opaque right half is the gradient.
            try expectColour(image.bytes, x: w / 8, y: h / 2, is: [255, 0, 0], "transparent half")
            // Bottom right the gradient is light grey, far from the red background.
            let right = try TestImages.pixel(of: image.bytes, x: 7 * w / 8, y: 7 * h / 8)
            #expect(right.allSatisfy { $0 > 180 }, "opaque half \(right)")
        }
    }

    @Test("alpha is kept for WebP")
    func alphaIsKeptForWebP() async throws {
        let source = try TestImages.transparentPNG(.gradient, width: 400, height: 600)
        let processed = try await inspector.process(source, settings: RenditionSettings(format: .webp))
        for image in [processed.original] + processed.renditions.map(\.image) {
            #expect(try TestImages.describe(image.bytes).bands == 4)
            let (w, h) = (image.width, image.height)
            #expect(try TestImages.pixel(of: image.bytes, x: w / 8, y: h / 2)[3] == 0)
            #expect(try TestImages.pixel(of: image.bytes, x: 7 * w / 8, y: h / 2)[3] == 255)
        }
    }

    @Test("EXIF, XMP, IPTC and ICC metadata are stripped from every output", arguments: OutputFormat.allCases)
    func metadataIsStripped(format: OutputFormat) async throws {
        // The oriented JPEG carries EXIF; the CMYK one an ICC profile.
        for source in [try TestImages.orientedJPEG(), try TestImages.cmykJPEG()] {
            let stored = try TestImages.describe(source)
            #expect(stored.hasEXIF || stored.hasICCProfile)
            let processed = try await inspector.process(source, settings: RenditionSettings(format: format))
            for image in [processed.original] + processed.renditions.map(\.image) {
                let described = try TestImages.describe(image.bytes)
                #expect(!described.hasEXIF && !described.hasXMP && !described.hasIPTC && !described.hasICCProfile,
                        "\(described)")
            }
        }
    }

    // MARK: Refusals

    @Test("process refuses what is not an image and a header declaring too many pixels")
    func processRefusesNonImagesAndBombs() async throws {
        await #expect(throws: ImageRejection.notAnImage("starts with 'hello'")) {
            try await inspector.process(Array("hello".utf8), settings: RenditionSettings())
        }
        await #expect(throws: ImageRejection.tooManyPixels(width: 50_000, height: 50_000, limit: 40_000_000)) {
            try await inspector.process(TestImages.pngDeclaring(width: 50_000, height: 50_000),
                                        settings: RenditionSettings())
        }
    }

    // MARK: Perceptual hash

    @Test("the same picture re-encoded or resized keeps its perceptual hash")
    func samePictureReencodedKeepsItsHash() async throws {
        for content in [TestImages.Content.noise(seed: 7), .quadrants, .gradient] {
            let reference = try await hash(TestImages.encode(content, width: 1200, height: 1800, as: .jpeg, quality: 95))
            let copies: [(String, [UInt8])] = [
                ("JPEG q60", try TestImages.encode(content, width: 1200, height: 1800, as: .jpeg, quality: 60)),
                ("PNG", try TestImages.encode(content, width: 1200, height: 1800, as: .png)),
                ("WebP", try TestImages.encode(content, width: 1200, height: 1800, as: .webp, quality: 70)),
                ("50% JPEG", try TestImages.encode(content, width: 600, height: 900, as: .jpeg, quality: 80)),
            ]
            for (label, bytes) in copies {
                let distance = PerceptualHash.distance(reference, try await hash(bytes))
                #expect(distance <= 4, "\(content) as \(label): distance \(distance)")
            }
        }
    }

    @Test("different pictures have distant perceptual hashes")
    func differentPicturesHaveDistantHashes() async throws {
        // dHash sees only where brightness falls from left to right, so the quadrants (which fall once)
        // and the gradient (never) hash alike: that pair is left out.
        let pictures: [(String, TestImages.Content)] = [
            ("gradient", .gradient), ("stripes", .stripes), ("noise 1", .noise(seed: 1)),
            ("noise 2", .noise(seed: 2)), ("noise 3", .noise(seed: 3)),
        ]
        var hashes: [(String, UInt64)] = []
        for (label, content) in pictures {
            hashes.append((label, try await hash(TestImages.encode(content, width: 800, height: 1200, as: .jpeg))))
        }
        for i in hashes.indices {
            for j in hashes.indices where j > i {
                let distance = PerceptualHash.distance(hashes[i].1, hashes[j].1)
                #expect(distance > 10, "\(hashes[i].0) vs \(hashes[j].0): distance \(distance)")
            }
        }
    }

    @Test("distance counts differing bits")
    func distanceCountsDifferingBits() {
        #expect(PerceptualHash.distance(0, 0) == 0)
        #expect(PerceptualHash.distance(0, .max) == 64)
        #expect(PerceptualHash.distance(0b1011, 0b0110) == 3)
    }

    // MARK: Settings

    @Test("background colours parse from hex", arguments: [
        ("ffffff", RGB(red: 255, green: 255, blue: 255)), ("#FF8000", RGB(red: 255, green: 128, blue: 0)),
        ("#0a0b0c", RGB(red: 10, green: 11, blue: 12)), ("fff", nil), ("#gg0000", nil), ("", nil),
        ("#ffffff0", nil), ("+fffff", nil),
    ] as [(String, RGB?)])
    func backgroundColoursParseFromHex(text: String, colour: RGB?) {
        #expect(RGB(hex: text) == colour)
    }

    @Test("settings default to thumb 300 and display 1200 JPEG at 82 on white")
    func settingsDefaults() {
        let settings = RenditionSettings()
        #expect(settings.renditions == [RenditionSpec(name: "thumb", longSide: 300),
                                        RenditionSpec(name: "display", longSide: 1200)])
        #expect((settings.format, settings.quality, settings.background) == (.jpeg, 82, RGB(red: 255, green: 255, blue: 255)))
        #expect(OutputFormat.jpeg.contentType == "image/jpeg" && OutputFormat.webp.contentType == "image/webp")
    }

    // MARK: Backpressure

    @Test("callers beyond the pool and its queue wait instead of failing")
    func callersBeyondThePoolWait() async throws {
        let narrow = try ImageInspector(threads: 1, queueLimit: 1, maxWaiting: 50)
        defer { narrow.shutdown() }
        let source = try TestImages.encode(.noise(seed: 9), width: 600, height: 900, as: .jpeg)
        let widths = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<30 {
                group.addTask { try await narrow.process(source, settings: RenditionSettings()).renditions[0].image.width }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(widths == Array(repeating: 200, count: 30))
    }

    // MARK: Helpers

    private func hash(_ bytes: [UInt8]) async throws -> UInt64 {
        try await inspector.process(bytes, settings: RenditionSettings(renditions: [])).perceptualHash
    }

    private func expectColour(
        _ bytes: [UInt8], x: Int, y: Int, is expected: [Double], _ label: String, tolerance: Double = 12,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let actual = try TestImages.pixel(of: bytes, x: x, y: y)
        let close = zip(actual.prefix(3), expected).allSatisfy { abs($0 - $1) <= tolerance }
        #expect(close, "\(label) at (\(x), \(y)): \(actual), expected \(expected)", sourceLocation: sourceLocation)
    }
}
