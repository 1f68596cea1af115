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
        /// Soft vertical sine stripes, six across.
        case stripes
        /// Four flat quadrants: top-left red, top-right green, bottom-left blue, bottom-right white, so
        /// a rotation or flip shows.
        case quadrants
        /// Colour clouds with fine grain, like a photo: each seed a different picture.
        case noise(seed: Int)
    }

    /// Encodes a `width` x `height` picture of `content` as `format` (`quality` for JPEG and WebP).
    public static func encode(
        _ content: Content = .gradient, width: Int, height: Int, as format: ImageFormat, quality: Int = 90
    ) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: width, height: height, as: format, quality: quality)
    }

    /// A JPEG whose pixels are stored `storedWidth` x `storedHeight` with EXIF `orientation`: with 6
    /// (the default) a viewer rotates it 90 degrees clockwise, showing a `storedHeight` x `storedWidth`
    /// picture whose top-left is the stored bottom-left (blue, for quadrants).
    public static func orientedJPEG(
        _ content: Content = .quadrants, storedWidth: Int = 600, storedHeight: Int = 400, orientation: Int = 6
    ) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: storedWidth, height: storedHeight, as: .jpeg, orientation: orientation)
    }

    /// A 4-band CMYK JPEG (converted through libvips' generic CMYK profile, which it embeds).
    public static func cmykJPEG(_ content: Content = .gradient, width: Int = 400, height: Int = 600) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: width, height: height, as: .jpeg, flags: CVIPS_VARIANT_CMYK)
    }

    /// An RGBA PNG whose left half is fully transparent and right half opaque.
    public static func transparentPNG(_ content: Content = .gradient, width: Int = 400, height: Int = 600) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: width, height: height, as: .png, flags: CVIPS_VARIANT_ALPHA)
    }

    /// A 16-bit-per-sample RGB PNG.
    public static func sixteenBitPNG(_ content: Content = .gradient, width: Int = 400, height: Int = 600) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: width, height: height, as: .png, flags: CVIPS_VARIANT_16BIT)
    }

    /// A large photo-like JPEG (default 6000 x 4000, about 24 megapixels).
    public static func largeJPEG(
        _ content: Content = .noise(seed: 1), width: Int = 6000, height: Int = 4000, quality: Int = 85
    ) throws(LibVipsError) -> [UInt8] {
        try variant(content, width: width, height: height, as: .jpeg, quality: quality)
    }

    /// Reads an image's header (size, bands, colour space, bit depth, orientation, metadata present).
    public static func describe(_ bytes: [UInt8]) throws(LibVipsError) -> ImageDescription {
        try LibVips.start()
        return try LibVips.describe(bytes).get()
    }

    /// Decodes an image and returns the band values (0-255 for 8-bit) of the pixel at (`x`, `y`).
    public static func pixel(of bytes: [UInt8], x: Int, y: Int) throws(LibVipsError) -> [Double] {
        try LibVips.start()
        return try LibVips.pixel(bytes, x: x, y: y).get()
    }

    private static func variant(
        _ content: Content, width: Int, height: Int, as format: ImageFormat, quality: Int = 90,
        orientation: Int = 1, flags: Int32 = 0
    ) throws(LibVipsError) -> [UInt8] {
        try LibVips.start()
        var seed = 0
        let kind: Int32
        switch content {
        case .gradient: kind = CVIPS_TEST_GRADIENT
        case .solidColour: kind = CVIPS_TEST_SOLID
        case .stripes: kind = CVIPS_TEST_STRIPES
        case .quadrants: kind = CVIPS_TEST_QUADRANTS
        case let .noise(value): kind = CVIPS_TEST_NOISE; seed = value
        }
        return try LibVips.encodeTestImage(width: width, height: height, kind: kind, seed: seed, format: format,
                                           quality: quality, orientation: orientation, variant: flags).get()
    }

    /// A PNG signature, an IHDR declaring `width` x `height` (8-bit RGB) with a correct CRC, a tiny IDAT
    /// and IEND: valid up to its header, far too little data for its pixels (a decompression bomb
    /// as far as a header-only check can tell).
    public static func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] {
            [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
        }
        let ihdr = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]  // zlib of one zero byte
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat)
            + chunk("IEND", [])
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
