/// One encoded output of `ImageInspector.process`: the bytes to store and serve, and their size in pixels.
public struct EncodedImage: Sendable, Equatable {
    public var bytes: [UInt8]
    public var width: Int
    public var height: Int
    public var format: OutputFormat

    /// The media type to serve it with.
    public var contentType: String { format.contentType }

    public init(bytes: [UInt8], width: Int, height: Int, format: OutputFormat) {
        self.bytes = bytes
        self.width = width
        self.height = height
        self.format = format
    }
}

/// A rendition with the name it was configured under.
public struct NamedImage: Sendable, Equatable {
    public var name: String
    public var image: EncodedImage

    public init(name: String, image: EncodedImage) {
        self.name = name
        self.image = image
    }
}
