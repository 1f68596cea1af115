/// The bounds a request must stay within, so a client can never make the parser work or allocate
/// beyond them. Every check fires as soon as the offending byte arrives.
public struct HTTPLimits: Sendable, Equatable {
    /// The request line without its CRLF, leading empty lines included (exceeded: 414).
    public var maxRequestLineBytes: Int
    /// The header field section after the request line, its CRLFs and final empty line included (431).
    public var maxHeaderBytes: Int
    /// Header fields in the head, and trailer fields in a chunked body (431).
    public var maxHeaderCount: Int
    /// The decoded body (413).
    public var maxBodyBytes: Int
    /// A chunk-size line without its CRLF, extensions included (400).
    public var maxChunkLineBytes: Int

    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderBytes: Int = 16384,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1 << 20,
        maxChunkLineBytes: Int = 4096
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
