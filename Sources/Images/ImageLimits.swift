/// What the inspector accepts as a cover. One value per deployment, built from configuration;
/// every bound has an explicit default.
public struct ImageLimits: Sendable, Equatable {
    /// Largest accepted image, in bytes (default 10 MiB).
    public var maxBytes: Int
    /// Largest accepted width x height, read from the header before any pixel is decoded, so a
    /// decompression bomb is refused from its first few bytes (default 40 megapixels).
    public var maxPixels: Int
    /// Smallest accepted short side (the lesser of width and height), in pixels (default 100).
    public var minShortSide: Int
    /// SHA-256 digests (lowercase hex) of known provider "no image" pictures, refused as placeholders.
    /// Mixed-case entries are accepted and compared case-insensitively.
    public var placeholderSHA256s: Set<String>
    /// An image counts as a single solid colour when, shrunk to fit 64 x 64 and flattened onto white,
    /// no colour channel has a standard deviation above this value (on the 0-255 scale). 0 accepts only
    /// perfectly flat images; the default 2.0 also catches flat images with light compression noise
    /// (a flat lossy WebP measured 0.1), while a 400 x 600 white cover bearing only a one-line title
    /// measured about 7.
    public var solidColourThreshold: Double

    public init(
        maxBytes: Int = 10_485_760,
        maxPixels: Int = 40_000_000,
        minShortSide: Int = 100,
        placeholderSHA256s: Set<String> = [],
        solidColourThreshold: Double = 2.0
    ) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
        self.minShortSide = minShortSide
        self.placeholderSHA256s = placeholderSHA256s
        self.solidColourThreshold = solidColourThreshold
    }
}
