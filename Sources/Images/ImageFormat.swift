/// The image formats a cover may arrive in, recognised from the bytes themselves (their magic number),
/// never from a Content-Type header, which providers and CDNs get wrong.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg
    case png
    case webp
    case gif

    /// The media type to serve the image with.
    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .gif: "image/gif"
        }
    }

    /// The format whose magic number `bytes` start with, or nil when it is none of the four.
    public init?(magicNumberOf bytes: [UInt8]) {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            self = .gif
        } else if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
                  bytes[8..<12].elementsEqual("WEBP".utf8) {
            // "RIFF", a 4-byte little-endian chunk size, then "WEBP".
            self = .webp
        } else {
            return nil
        }
    }
}
