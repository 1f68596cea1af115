/// Renditions: the normalized original, the configured sizes and the perceptual hash of a cover.
extension ImageInspector {
    /// Makes the normalized original and every rendition of `settings`, and the picture's dHash.
    ///
    /// Refuses what cannot be worked on safely: more bytes than `limits.maxBytes`, anything but
    /// JPEG/PNG/WebP/GIF, an unreadable header, more pixels than `limits.maxPixels` (read from the
    /// header before any pixel is decoded). It does not judge the picture: `inspect` does that.
    /// Each output is decoded straight from `bytes` with shrink-on-load; a rendition at least as large
    /// as the image is the original itself (never enlarged).
    public func process(_ bytes: [UInt8], settings: RenditionSettings) async throws(ImageRejection) -> ProcessedImage {
        try await withImage(bytes, failing: "image not processed") { [self] format in
            self.render(bytes, format: format, settings: settings)
        }
    }

    /// The work of `process` after the magic number, on an executor thread.
    private func render(
        _ bytes: [UInt8], format: ImageFormat, settings: RenditionSettings
    ) -> Result<ProcessedImage, ImageRejection> {
        let started = ContinuousClock.now
        let header: LibVips.Header
        switch LibVips.probe(bytes) {
        case let .success(probed): header = probed
        case let .failure(error): return .failure(.undecodable(error.message))
        }
        guard header.loader.hasPrefix(format.vipsLoaderPrefix) else {
            return .failure(.undecodable("starts like \(format.rawValue) but libvips read it as '\(header.loader)'"))
        }
        guard header.width * header.height <= limits.maxPixels else {
            return .failure(.tooManyPixels(width: header.width, height: header.height, limit: limits.maxPixels))
        }

        func encode(longSide: Int?) -> Result<EncodedImage, ImageRejection> {
            LibVips.render(bytes, longSide: longSide, format: settings.format, quality: settings.quality,
                           background: settings.background)
                .map { EncodedImage(bytes: $0.bytes, width: $0.width, height: $0.height, format: settings.format) }
                .mapError { .undecodable($0.message) }
        }

        let original: EncodedImage
        switch encode(longSide: nil) {
        case let .success(image): original = image
        case let .failure(rejection): return .failure(rejection)
        }
        // The long side does not change with orientation, so the header's decides.
        let longSide = max(header.width, header.height)
        var renditions: [NamedImage] = []
        renditions.reserveCapacity(settings.renditions.count)
        for spec in settings.renditions {
            if spec.longSide >= longSide {
                renditions.append(NamedImage(name: spec.name, image: original))
                continue
            }
            switch encode(longSide: spec.longSide) {
            case let .success(image): renditions.append(NamedImage(name: spec.name, image: image))
            case let .failure(rejection): return .failure(rejection)
            }
        }

        switch LibVips.greyThumbnail(bytes, width: PerceptualHash.width, height: PerceptualHash.height) {
        case let .success(pixels):
            return .success(ProcessedImage(original: original, renditions: renditions,
                                           perceptualHash: PerceptualHash.dHash(greyPixels: pixels),
                                           libvipsTime: started.duration(to: .now)))
        case let .failure(error):
            return .failure(.undecodable(error.message))
        }
    }
}
