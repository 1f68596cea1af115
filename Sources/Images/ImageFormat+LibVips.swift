import CVips

/// How the CVips shim and libvips name each format.
extension ImageFormat {
    var cvipsCode: Int32 {
        switch self {
        case .jpeg: CVIPS_FORMAT_JPEG
        case .png: CVIPS_FORMAT_PNG
        case .webp: CVIPS_FORMAT_WEBP
        case .gif: CVIPS_FORMAT_GIF
        }
    }

    /// The prefix of the libvips loader nickname that decodes this format ("jpegload_buffer", ...).
    var vipsLoaderPrefix: String {
        switch self {
        case .jpeg: "jpegload"
        case .png: "pngload"
        case .webp: "webpload"
        case .gif: "gifload"
        }
    }
}
