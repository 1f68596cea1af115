/// What an encoded image holds, read from its header without decoding pixels: for tests, benchmarks
/// and checks on stored renditions.
public struct ImageDescription: Sendable, Equatable {
    public enum ColourSpace: Sendable, Equatable {
        case sRGB, cmyk, rgb16, blackAndWhite, grey16, other
    }

    public var width: Int
    public var height: Int
    /// Colour bands plus alpha, if any (3 for RGB, 4 for RGBA or CMYK).
    public var bands: Int
    public var colourSpace: ColourSpace
    /// 8 for 8-bit samples, 16 for 16-bit.
    public var bitsPerSample: Int
    /// The EXIF orientation tag, 1 when absent.
    public var orientation: Int
    public var hasEXIF: Bool
    public var hasXMP: Bool
    public var hasIPTC: Bool
    public var hasICCProfile: Bool

    public init(width: Int, height: Int, bands: Int, colourSpace: ColourSpace, bitsPerSample: Int,
                orientation: Int, hasEXIF: Bool, hasXMP: Bool, hasIPTC: Bool, hasICCProfile: Bool) {
        self.width = width
        self.height = height
        self.bands = bands
        self.colourSpace = colourSpace
        self.bitsPerSample = bitsPerSample
        self.orientation = orientation
        self.hasEXIF = hasEXIF
        self.hasXMP = hasXMP
        self.hasIPTC = hasIPTC
        self.hasICCProfile = hasICCProfile
    }
}
