/// The formats renditions are written in: every browser shows both, and neither carries more than sRGB.
public enum OutputFormat: String, Sendable, CaseIterable {
    case jpeg
    case webp

    /// The media type to serve a rendition with.
    public var contentType: String {
        switch self {
        case .jpeg: ImageFormat.jpeg.contentType
        case .webp: ImageFormat.webp.contentType
        }
    }
}
