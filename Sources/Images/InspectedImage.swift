/// An image that passed every check, with the facts the rest of the service stores about it.
public struct InspectedImage: Sendable, Equatable {
    /// Format recognised from the bytes' magic number.
    public var format: ImageFormat
    /// Media type to serve it with (`format.contentType`).
    public var contentType: String
    /// Size in pixels, from the image header.
    public var width: Int
    public var height: Int
    /// Size of the encoded image, in bytes.
    public var bytes: Int
    /// SHA-256 of the encoded bytes, lowercase hex.
    public var sha256: String

    public init(format: ImageFormat, width: Int, height: Int, bytes: Int, sha256: String) {
        self.format = format
        self.contentType = format.contentType
        self.width = width
        self.height = height
        self.bytes = bytes
        self.sha256 = sha256
    }
}
