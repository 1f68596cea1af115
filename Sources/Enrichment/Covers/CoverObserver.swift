import EnricherCore
import Images

/// Hears what the cover library did, for whoever keeps count (the composition root's metrics).
public protocol CoverObserver: Sendable {
    /// libvips made the normalized original and the renditions of one image (a new cover or a repair).
    func processed(_ image: ProcessedImage)
    /// A new cover was stored (not one found again by its SHA-256 or perceptual hash).
    func stored(_ cover: StoredCover)
}
