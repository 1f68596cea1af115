/// Everything stored for one cover: the normalized original (upright, 8-bit sRGB, no metadata, full
/// size), one image per configured rendition in the configured order, and a perceptual hash that
/// recognises the same picture in another encoding or size.
public struct ProcessedImage: Sendable {
    public var original: EncodedImage
    public var renditions: [NamedImage]
    /// dHash of the upright picture; compare with `PerceptualHash.distance`.
    public var perceptualHash: UInt64
    /// How long libvips worked on it (decoding, resizing, encoding, hashing), on its thread.
    public var libvipsTime: Duration

    public init(original: EncodedImage, renditions: [NamedImage], perceptualHash: UInt64, libvipsTime: Duration = .zero) {
        self.original = original
        self.renditions = renditions
        self.perceptualHash = perceptualHash
        self.libvipsTime = libvipsTime
    }

    /// The rendition named `name`, if configured.
    public func rendition(named name: String) -> EncodedImage? {
        renditions.first { $0.name == name }?.image
    }
}
