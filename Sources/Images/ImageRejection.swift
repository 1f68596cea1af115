/// Why an image is not accepted as a cover. Descriptions are written for the people reading outcomes
/// and webhook payloads.
public enum ImageRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// More bytes than `ImageLimits.maxBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// The bytes are not JPEG, PNG, WebP or GIF; the detail shows how they start.
    case notAnImage(String)
    /// The header or the pixel data is truncated or corrupt; the detail is the decoder's message.
    case undecodable(String)
    /// The header declares more pixels than `ImageLimits.maxPixels`.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// The short side is under `ImageLimits.minShortSide`.
    case tooSmall(width: Int, height: Int, minShortSide: Int)
    /// A stand-in rather than a cover: a tiny spacer, a single solid colour, or a known placeholder.
    case placeholder(String)
    /// The checks could not run now (too many images queued, or shutting down); worth retrying.
    case unavailable

    public var description: String {
        switch self {
        case let .tooLarge(bytes, limit):
            "image is \(bytes) bytes, over the limit of \(limit) bytes"
        case let .notAnImage(detail):
            "bytes are not JPEG, PNG, WebP or GIF (\(detail))"
        case let .undecodable(detail):
            "image cannot be decoded: \(detail)"
        case let .tooManyPixels(width, height, limit):
            "image is \(width)x\(height) (\(width * height) pixels), over the limit of \(limit) pixels"
        case let .tooSmall(width, height, minShortSide):
            "image is \(width)x\(height), smaller than \(minShortSide) px on its short side"
        case let .placeholder(reason):
            "image is a placeholder: \(reason)"
        case .unavailable:
            "image checks are unavailable right now (overloaded or shutting down)"
        }
    }

    /// `.notAnImage` describing how `bytes` start: as quoted text when they look like text (an HTML
    /// error page, JSON), else as hex. Only printable ASCII is ever echoed.
    static func notAnImage(startingWith bytes: [UInt8]) -> ImageRejection {
        if bytes.isEmpty { return .notAnImage("no bytes at all") }
        let head = bytes.prefix(32)
        let printable = head.filter { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if printable.count * 10 >= head.count * 9 {
            let text = String(decoding: head.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: " ") },
                              as: UTF8.self)
            let more = bytes.count > head.count ? "..." : ""
            return .notAnImage("starts with '\(text)\(more)'")
        }
        let hex = bytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return .notAnImage("starts with bytes \(hex.joined(separator: " "))")
    }
}
