/// dHash (difference hash): the picture shrunk to 9 x 8 greyscale pixels, ignoring its aspect ratio;
/// bit (row * 8 + column), counted from the most significant, is set when a pixel is brighter than its
/// right-hand neighbour. Re-encoding or resizing barely changes it, so a small Hamming distance between
/// two hashes means the same picture (about 4 or less out of 64), a large one a different picture.
/// It sees only where brightness falls from left to right: two pictures that never darken rightwards
/// (flat areas, left-to-right ramps) hash alike, however different their colours.
public enum PerceptualHash {
    static let width = 9
    static let height = 8

    /// Bits that differ between two hashes (0...64).
    public static func distance(_ a: UInt64, _ b: UInt64) -> Int {
        (a ^ b).nonzeroBitCount
    }

    /// The hash of `pixels`: 9 x 8 greyscale samples, row-major.
    static func dHash(greyPixels pixels: [UInt8]) -> UInt64 {
        precondition(pixels.count == width * height, "dHash needs 9 x 8 pixels, got \(pixels.count)")
        var hash: UInt64 = 0
        for row in 0..<height {
            for column in 0..<(width - 1) {
                let index = row * width + column
                hash <<= 1
                if pixels[index] > pixels[index + 1] { hash |= 1 }
            }
        }
        return hash
    }
}
