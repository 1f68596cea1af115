import CVips

/// Generated covers for tests and benchmarks, so they need no image files: every image is made by
/// libvips on demand. Synchronous and CPU-bound; not for the request path.
public enum TestImages {
    /// What the generated picture shows.
    public enum Content: Sendable {
        /// A colour gradient: every pixel differs from its neighbours, so it passes the solid-colour check.
        case gradient
        /// One flat colour, which the inspector refuses as a placeholder.
        case solidColour
    }

    /// Encodes a `width` x `height` picture of `content` as `format`.
    public static func encode(
        _ content: Content = .gradient, width: Int, height: Int, as format: ImageFormat
    ) throws(LibVipsError) -> [UInt8] {
        try LibVips.start()
        let kind = switch content {
        case .gradient: CVIPS_TEST_GRADIENT
        case .solidColour: CVIPS_TEST_SOLID
        }
        return try LibVips.encodeTestImage(width: width, height: height, kind: kind, format: format).get()
    }
}
