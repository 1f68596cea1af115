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
