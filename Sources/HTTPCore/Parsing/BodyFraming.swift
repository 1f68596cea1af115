/// How a request's body is delimited (RFC 9112 §6.3), decided once from its head.
public enum BodyFraming: Equatable, Sendable {
    /// No body: neither Content-Length nor Transfer-Encoding was sent.
    case none
    /// Exactly this many bytes follow the head (Int.max when the number sent was larger still).
    case contentLength(Int)
    /// The chunked transfer coding, ending with a zero-size chunk and a trailer section.
    case chunked
}
