import CVips

/// The only Swift code that calls the CVips shim: it turns C buffers and return codes into owned
/// Swift values. Every call blocks the calling thread, so the image pipeline makes them from its
/// executor's threads only.
enum LibVips {
    /// A header read without decoding pixels.
    struct Header: Sendable, Equatable {
        var width: Int
        var height: Int
        /// libvips' loader nickname, e.g. "jpegload_buffer".
        var loader: String
    }

    /// Starts libvips once per process; later calls are cheap and return the first outcome.
    /// Each libvips operation runs on one worker thread: parallelism comes from the executor's
    /// threads, which is the bound the service configures.
    static func start() throws(LibVipsError) {
        var error = ErrorText()
        let status = error.withBuffer { cvips_init(1, $0, $1) }
        if status != 0 { throw LibVipsError(message: error.text) }
    }

    static func probe(_ bytes: [UInt8]) -> Result<Header, LibVipsError> {
        assertOnImageThread()
        var width: Int32 = 0
        var height: Int32 = 0
        var loader = [CChar](repeating: 0, count: 64)
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            loader.withUnsafeMutableBufferPointer { name in
                error.withBuffer { errorBuffer, errorLength in
                    cvips_probe(raw.baseAddress, raw.count, &width, &height,
                                name.baseAddress, name.count, errorBuffer, errorLength)
                }
            }
        }
        if status != 0 { return .failure(LibVipsError(message: error.text)) }
        return .success(Header(width: Int(width), height: Int(height), loader: string(fromNulTerminated: loader)))
    }

    /// Decodes every pixel while shrinking to fit `maxSide` (failing when the data ends early or the
    /// decoder reports an error), and returns the largest per-channel standard deviation of the result
    /// (0-255 scale).
    static func decodeAndMeasure(_ bytes: [UInt8], maxSide: Int) -> Result<Double, LibVipsError> {
        assertOnImageThread()
        var deviation = 0.0
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            error.withBuffer { errorBuffer, errorLength in
                cvips_decode_and_measure(raw.baseAddress, raw.count, Int32(maxSide), &deviation,
                                         errorBuffer, errorLength)
            }
        }
        if status != 0 { return .failure(LibVipsError(message: error.text)) }
        return .success(deviation)
    }

    static func encodeTestImage(
        width: Int, height: Int, kind: Int32, seed: Int = 0, format: ImageFormat, quality: Int = 90,
        orientation: Int = 1, variant: Int32 = 0
    ) -> Result<[UInt8], LibVipsError> {
        var output: UnsafeMutableRawPointer?
        var length = 0
        var error = ErrorText()
        let status = error.withBuffer { errorBuffer, errorLength in
            cvips_encode_test_image_variant(Int32(clamping: width), Int32(clamping: height), kind,
                                            Int32(truncatingIfNeeded: seed), format.cvipsCode,
                                            Int32(clamping: quality), Int32(clamping: orientation), variant,
                                            &output, &length, errorBuffer, errorLength)
        }
        guard status == 0, let output else { return .failure(LibVipsError(message: error.text)) }
        defer { cvips_free(output) }
        return .success(Array(UnsafeRawBufferPointer(start: output, count: length)))
    }

    /// Catches, in debug builds, libvips work run inside a Swift task, that is on the cooperative pool,
    /// instead of on an executor thread. (Thread names cannot tell: on Linux, Foundation's `Thread.name`
    /// set before `start()` does not reach the OS thread, which keeps its creator's name.)
    static func assertOnImageThread() {
        assert(withUnsafeCurrentTask { $0 == nil }, "libvips called from a Swift task, not from an executor thread")
    }

    static func string(fromNulTerminated chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A buffer the shim copies libvips' error text into.
    struct ErrorText {
        private var storage = [CChar](repeating: 0, count: 512)

        mutating func withBuffer<R>(_ body: (UnsafeMutablePointer<CChar>, Int) -> R) -> R {
            storage.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        }

        /// libvips' text on one line: it repeats a decoder's message once per failed region.
        var text: String {
            var lines: [Substring] = []
            for line in LibVips.string(fromNulTerminated: storage).split(whereSeparator: \.isNewline)
            where !lines.contains(line) {
                lines.append(line)
            }
            return lines.isEmpty ? "no detail from libvips" : lines.joined(separator: "; ")
        }
    }
}
