/// What `ImageInspector.process` makes of every stored cover: one value per deployment, built from
/// configuration, each field with a default.
public struct RenditionSettings: Sendable, Equatable {
    /// The sizes made besides the full-size normalized original (default thumb 300, display 1200).
    public var renditions: [RenditionSpec]
    /// The format of every output, the original included (default JPEG).
    public var format: OutputFormat
    /// Encoder quality, 1...100 (default 82); values outside are clamped.
    public var quality: Int
    /// What transparent areas are flattened onto for JPEG output (default white). WebP keeps alpha.
    public var background: RGB

    public static let defaultRenditions = [
        RenditionSpec(name: "thumb", longSide: 300),
        RenditionSpec(name: "display", longSide: 1200),
    ]

    public init(
        renditions: [RenditionSpec] = RenditionSettings.defaultRenditions,
        format: OutputFormat = .jpeg,
        quality: Int = 82,
        background: RGB = .white
    ) {
        self.renditions = renditions
        self.format = format
        self.quality = quality
        self.background = background
    }
}
