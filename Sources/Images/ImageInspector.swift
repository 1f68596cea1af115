import Blocking
import Crypto
import Logging

/// Decides whether downloaded bytes are a usable cover, cheapest checks first, and describes the image
/// when they are. libvips work runs on a small pool of threads owned here, never on Swift's cooperative
/// pool, and the pool's queue is bounded: past it, `inspect` refuses with `.unavailable`.
public final class ImageInspector: Sendable {
    /// Images whose long side is at most this are spacers or tracking pixels, not small covers.
    static let tinySide = 16
    /// Images are shrunk to fit this square before measuring their colours.
    static let measureSide = 64

    public let limits: ImageLimits
    private let placeholderSHA256s: Set<String>
    private let executor: BlockingExecutor
    private let logger: Logger

    /// - Parameters:
    ///   - threads: images checked at once (libvips is CPU-bound: about one per core).
    ///   - queueLimit: images allowed to wait for a thread before `inspect` answers `.unavailable`.
    /// - Throws: `LibVipsError` when libvips cannot start (missing or broken installation).
    public init(
        limits: ImageLimits = ImageLimits(),
        threads: Int = 2,
        queueLimit: Int = 64,
        logger: Logger = Logger(label: "enricher.images")
    ) throws(LibVipsError) {
        try LibVips.start()
        self.limits = limits
        self.placeholderSHA256s = Set(limits.placeholderSHA256s.map { $0.lowercased() })
        self.executor = BlockingExecutor(threads: threads, queueLimit: queueLimit, name: "images")
        self.logger = logger
    }

    /// Checks, in order: size in bytes, magic number, known placeholder digest, header (width and
    /// height, without decoding pixels), pixel count, short side, a full decode, and a single solid
    /// colour. The pixel cap comes before any pixel is decoded, so a decompression bomb costs a header read.
    public func inspect(_ bytes: [UInt8]) async throws(ImageRejection) -> InspectedImage {
        let outcome: Result<InspectedImage, ImageRejection>
        if bytes.count > limits.maxBytes {
            outcome = .failure(.tooLarge(bytes: bytes.count, limit: limits.maxBytes))
        } else if let format = ImageFormat(magicNumberOf: bytes) {
            do {
                outcome = try await executor.run { [self] in self.check(bytes, format: format) }
            } catch {
                logger.notice("image checks refused work", metadata: ["reason": "\(error)"])
                outcome = .failure(.unavailable)
            }
        } else {
            outcome = .failure(.notAnImage(startingWith: bytes))
        }
        switch outcome {
        case let .success(image):
            return image
        case let .failure(rejection):
            logger.debug("image rejected", metadata: ["rejection": "\(rejection)", "bytes": "\(bytes.count)"])
            throw rejection
        }
    }

    /// Lets queued checks finish, then stops the threads. Later `inspect` calls answer `.unavailable`.
    public func shutdown() {
        executor.shutdown()
    }

    deinit {
        executor.shutdown()
    }

    /// The checks after the magic number, run on an executor thread (hashing 10 MiB is CPU work too).
    private func check(_ bytes: [UInt8], format: ImageFormat) -> Result<InspectedImage, ImageRejection> {
        let sha256 = Self.hex(SHA256.hash(data: bytes))
        if placeholderSHA256s.contains(sha256) {
            return .failure(.placeholder("identical to a known placeholder image (sha256 \(sha256))"))
        }

        let header: LibVips.Header
        switch LibVips.probe(bytes) {
        case let .success(probed): header = probed
        case let .failure(error): return .failure(.undecodable(error.message))
        }
        guard header.loader.hasPrefix(format.vipsLoaderPrefix) else {
            return .failure(.undecodable("starts like \(format.rawValue) but libvips read it as '\(header.loader)'"))
        }
        let (width, height) = (header.width, header.height)
        // Both sides fit in Int32, so the product cannot overflow Int.
        guard width * height <= limits.maxPixels else {
            return .failure(.tooManyPixels(width: width, height: height, limit: limits.maxPixels))
        }
        if max(width, height) <= Self.tinySide {
            return .failure(.placeholder("\(width)x\(height) image, a spacer or tracking pixel"))
        }
        guard min(width, height) >= limits.minShortSide else {
            return .failure(.tooSmall(width: width, height: height, minShortSide: limits.minShortSide))
        }

        let deviation: Double
        switch LibVips.decodeAndMeasure(bytes, maxSide: Self.measureSide) {
        case let .success(measured): deviation = measured
        case let .failure(error): return .failure(.undecodable(error.message))
        }
        if deviation <= limits.solidColourThreshold {
            let measured = (deviation * 100).rounded() / 100
            return .failure(.placeholder(
                "a single solid colour (colour deviation \(measured), threshold \(limits.solidColourThreshold))"))
        }
        return .success(InspectedImage(format: format, width: width, height: height, bytes: bytes.count, sha256: sha256))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(SHA256.Digest.byteCount * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
