/// Removes metadata chunks from a WebP file. libvips 8.14's webpsave ignores its `strip` option: it
/// writes an EXIF chunk (rebuilt from the image's fields) and the ICC profile whatever it is asked, so
/// renditions are cleaned here, in the container, without touching the compressed picture.
enum WebPMetadata {
    /// Chunks never kept: EXIF, XMP and the ICC profile.
    private static let droppedChunks: Set<String> = ["EXIF", "XMP ", "ICCP"]
    /// VP8X flag bits announcing those chunks (ICC 0x20, EXIF 0x08, XMP 0x04).
    private static let droppedFlags: UInt8 = 0x20 | 0x08 | 0x04

    /// `bytes` without EXIF, XMP and ICC chunks; unchanged when they are not a well-formed WebP file.
    static func stripped(_ bytes: [UInt8]) -> [UInt8] {
        guard ImageFormat(magicNumberOf: bytes) == .webp else { return bytes }
        var output = Array(bytes[0..<12])
        var offset = 12
        var changed = false
        while offset + 8 <= bytes.count {
            let fourCC = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            // Chunks are padded to an even length.
            let end = offset + 8 + size + (size & 1)
            guard end <= bytes.count || (end == bytes.count + 1 && size & 1 == 1) else { return bytes }
            let chunkEnd = min(end, bytes.count)
            if droppedChunks.contains(fourCC) {
                changed = true
            } else {
                var chunk = Array(bytes[offset..<chunkEnd])
                if fourCC == "VP8X", chunk.count > 8, chunk[8] & droppedFlags != 0 {
                    chunk[8] &= ~droppedFlags
                    changed = true
                }
                output += chunk
            }
            offset = end
        }
        guard changed else { return bytes }
        let riffSize = UInt32(output.count - 8)
        output.replaceSubrange(4..<8, with: [UInt8(riffSize & 0xFF), UInt8(riffSize >> 8 & 0xFF),
                                             UInt8(riffSize >> 16 & 0xFF), UInt8(riffSize >> 24)])
        return output
    }
}
