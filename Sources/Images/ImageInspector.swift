import Blocking
import Crypto
import Logging

/// Decides whether downloaded bytes are a usable cover, cheapest checks first, and describes the image
/// when they are; makes the renditions of accepted covers (`process`). All libvips work runs on one
/// small pool of threads owned here, never on Swift's cooperative pool. Callers beyond the pool's
/// threads and queue wait their turn (suspended, holding no thread); past `maxWaiting` of them,
/// `inspect` and `process` refuse with `.unavailable`.
///
/// libvips' operation cache is off (`cvips_init`: no operations, bytes or files kept), so memory stays
/// flat however many images pass: what an image costs is freed when its call returns.
public final class ImageInspector: Sendable {
    /// Images whose long side is at most this are spacers or tracking pixels, not small covers.
    static let tinySide = 16
    /// Images are shrunk to fit this square before measuring their colours.
    static let measureSide = 64

    public let limits: ImageLimits
    private let placeholderSHA256s: Set<String>
    let executor: BlockingExecutor
    let gate: AdmissionGate
    let logger: Logger

    /// - Parameters:
    ///   - threads: images checked at once (libvips is CPU-bound: about one per core).
    ///   - queueLimit: images queued for a thread, holding their bytes, beyond those being worked on.
    ///   - maxWaiting: callers suspended while `threads + queueLimit` images are in; one more is
    ///     refused with `.unavailable`.
    /// - Throws: `LibVipsError` when libvips cannot start (missing or broken installation).
    public init(
        limits: ImageLimits = ImageLimits(),
        threads: Int = 2,
        queueLimit: Int = 64,
        maxWaiting: Int = 256,
        logger: Logger = Logger(label: "enricher.images")
    ) throws(LibVipsError) {
        try LibVips.start()
        self.limits = limits
        self.placeholderSHA256s = Set(limits.placeholderSHA256s.map { $0.lowercased() })
        // The gate bounds the work inside to threads + queueLimit. The executor's own queue gets room for
        // all of it: a thread that has just resumed its caller has not yet taken the next job, so for a
        // moment every admitted job can be queued at once, and a tighter queue would refuse one.
        self.executor = BlockingExecutor(threads: threads, queueLimit: threads + queueLimit, name: "images")
        self.gate = AdmissionGate(capacity: threads + queueLimit, maxWaiting: maxWaiting)
        self.logger = logger
    }

    /// Checks, in order: size in bytes, magic number, known placeholder digest, header (width and
    /// height, without decoding pixels), pixel count, short side, a full decode, and a single solid
    /// colour. The pixel cap comes before any pixel is decoded, so a decompression bomb costs a header read.
    public func inspect(_ bytes: [UInt8]) async throws(ImageRejection) -> InspectedImage {
        try await withImage(bytes, failing: "image rejected") { [self] format in self.check(bytes, format: format) }
    }

    /// The byte cap and the magic number, checked on the caller (cheap); then `work` on an executor
    /// thread once the gate admits it. A refusal is logged as `failing` and thrown.
    func withImage<T: Sendable>(
        _ bytes: [UInt8], failing: String, _ work: @escaping @Sendable (ImageFormat) -> Result<T, ImageRejection>
    ) async throws(ImageRejection) -> T {
        let outcome: Result<T, ImageRejection>
        if bytes.count > limits.maxBytes {
            outcome = .failure(.tooLarge(bytes: bytes.count, limit: limits.maxBytes))
        } else if let format = ImageFormat(magicNumberOf: bytes) {
            outcome = await admitted { work(format) }
        } else {
            outcome = .failure(.notAnImage(startingWith: bytes))
        }
        switch outcome {
        case let .success(value):
            return value
        case let .failure(rejection):
            logger.debug("\(failing)", metadata: ["rejection": "\(rejection)", "bytes": "\(bytes.count)"])
            throw rejection
        }
    }

    /// Lets queued checks finish, then stops the threads. Later `inspect` calls answer `.unavailable`.
    public func shutdown() {
        executor.shutdown()
    }

    /// Runs `work` on an executor thread once the gate admits it (perhaps after waiting): `.unavailable`
    /// when too many callers already wait or the executor is shut down.
    func admitted<T: Sendable>(
        _ work: @escaping @Sendable () -> Result<T, ImageRejection>
    ) async -> Result<T, ImageRejection> {
        guard await gate.enter() else {
            logger.notice("image work refused", metadata: ["reason": "\(gate.maxWaiting) callers already waiting"])
            return .failure(.unavailable)
        }
        let outcome: Result<T, ImageRejection>
        do {
            outcome = try await executor.run(work)
        } catch {
            logger.notice("image work refused", metadata: ["reason": "\(error)"])
            outcome = .failure(.unavailable)
        }
        await gate.leave()
        return outcome
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
