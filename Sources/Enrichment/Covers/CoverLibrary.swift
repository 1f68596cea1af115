import EnricherCore
import Foundation
import Images

/// Turns an accepted image into a stored cover: normalized with libvips (orientation, sRGB, no
/// metadata), its renditions made, and stored once. The same download (by SHA-256) or the same picture
/// in another encoding or size (by perceptual hash) reuses the cover already stored.
public struct CoverLibrary: Sendable {
    let store: CoverStore
    let images: ImageInspector
    let settings: RenditionSettings
    let duplicateDistance: Int
    let observer: (any CoverObserver)?

    public init(store: CoverStore, images: ImageInspector, settings: RenditionSettings, duplicateDistance: Int,
                observer: (any CoverObserver)? = nil) {
        self.observer = observer
        self.store = store
        self.images = images
        self.settings = settings
        self.duplicateDistance = duplicateDistance
    }

    /// Why a cover could not be stored.
    public struct ProcessingFailure: Error, CustomStringConvertible {
        public var rejection: ImageRejection
        public var description: String { "image could not be processed: \(rejection)" }
    }

    /// The stored cover for `bytes` (whose SHA-256 is `sha256`): found, or made and stored now. A cover
    /// found is claimed (its unused mark cleared), so housekeeping cannot delete it under the caller; one
    /// deleted just before the claim is made again.
    public func publish(_ bytes: [UInt8], sha256: String, now: Date = Date()) async throws -> (cover: StoredCover, created: Bool) {
        if let existing = try await store.cover(sha256), try await store.claim(existing.id) { return (existing, false) }
        let processed = try await process(bytes)
        if let twin = try await store.similar(to: processed.perceptualHash, within: duplicateDistance,
                                              width: processed.original.width, height: processed.original.height),
           try await store.claim(twin.id) {
            return (twin, false)
        }
        let (files, contents) = Self.files(of: processed, cover: sha256)
        let cover = StoredCover(id: sha256, perceptualHash: processed.perceptualHash, width: processed.original.width,
                                height: processed.original.height, files: files, createdAt: now)
        let stored = try await store.store(cover, contents: contents)
        if stored.created { observer?.stored(stored.cover) }
        return stored
    }

    /// The files a stored cover should have (the original and every configured rendition) but lacks.
    public func missingFiles(of cover: StoredCover) async throws -> [String] {
        var missing: [String] = []
        for name in [StoredCover.originalName] + settings.renditions.map(\.name) {
            if let file = cover.file(name), try await store.blobs.blob(file.fileId) != nil { continue }
            missing.append(name)
        }
        return missing
    }

    /// Makes again the renditions a stored cover lacks (added to the configuration since, or lost),
    /// from its stored original. Returns the cover as stored afterwards and the names made; nothing
    /// can be made when the original itself is gone.
    public func repair(_ cover: StoredCover) async throws -> (cover: StoredCover, made: [String]) {
        let missing = try await missingFiles(of: cover)
        guard !missing.isEmpty, !missing.contains(StoredCover.originalName), let original = cover.original,
              let bytes = try await store.blobs.read(original.fileId) else {
            return (cover, [])
        }
        let processed = try await process(bytes)
        let (files, contents) = Self.files(of: processed, cover: cover.id)
        let made = files.filter { missing.contains($0.name) }
        guard !made.isEmpty else { return (cover, []) }
        return (try await store.replaceFiles(of: cover, with: made, contents: contents), made.map(\.name))
    }

    private func process(_ bytes: [UInt8]) async throws -> ProcessedImage {
        do {
            let processed = try await images.process(bytes, settings: settings)
            observer?.processed(processed)
            return processed
        } catch {
            throw ProcessingFailure(rejection: error)
        }
    }

    private static func files(of processed: ProcessedImage, cover id: String) -> ([CoverFile], [String: [UInt8]]) {
        var files: [CoverFile] = []
        var contents: [String: [UInt8]] = [:]
        for (name, image) in [(StoredCover.originalName, processed.original)] + processed.renditions.map({ ($0.name, $0.image) }) {
            let hash = ImageStore.sha256(image.bytes)
            files.append(CoverFile(name: name, fileId: StoredCover.fileID(cover: id, name: name, sha256: hash), contentType: image.contentType,
                                   width: image.width, height: image.height, bytes: image.bytes.count, sha256: hash))
            contents[name] = image.bytes
        }
        return (files, contents)
    }
}

extension CoverImage {
    /// What an entity shows of a stored cover.
    public init(_ cover: StoredCover, provider: String, sourceUrl: String, createdAt: Date) {
        let original = cover.original
        self.init(
            id: cover.id, sha256: cover.id, contentType: original?.contentType ?? "application/octet-stream",
            width: cover.width, height: cover.height, bytes: original?.bytes ?? 0, provider: provider, sourceUrl: sourceUrl,
            createdAt: createdAt,
            renditions: cover.files.map { file in
                CoverRendition(name: file.name, url: "/v1/images/\(cover.id)/\(file.name)", contentType: file.contentType,
                               width: file.width, height: file.height, bytes: file.bytes)
            }
        )
    }
}
