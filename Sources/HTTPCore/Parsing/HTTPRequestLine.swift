/// The first line of a request, checked strictly (RFC 9112 §3) as soon as its CRLF arrives, so a bad
/// method, target or version is refused before any header field is read.
struct HTTPRequestLine: Sendable {
    var method: HTTPMethod
    var target: String
    var version: HTTPVersion

    private typealias G = HTTPGrammar

    private static let malformedLine = HTTPParseError.badRequest(
        "the request line must be a method, a target and an HTTP version separated by single spaces"
    )

    /// Parses `bytes[line]` (the line without its CRLF), reading each byte once.
    static func parse(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) -> HTTPRequestLine {
        let end = line.upperBound
        var i = line.lowerBound

        // method SP: one or more token characters.
        while i < end, G.isToken(bytes[i]) { i += 1 }
        let methodRange = line.lowerBound..<i
        guard !methodRange.isEmpty else { throw .badRequest("the request line does not start with a method token") }
        guard i < end, bytes[i] == G.sp else {
            throw i < end && bytes[i] != G.sp
                ? .badRequest("the method contains a character that is not a token character")
                : malformedLine
        }
        i += 1

        // request-target SP: everything up to the next space; exactly one space on each side.
        let targetStart = i
        while i < end, bytes[i] != G.sp { i += 1 }
        let targetRange = targetStart..<i
        guard i < end, !targetRange.isEmpty else { throw malformedLine }
        i += 1
        let versionRange = i..<end

        let version = try parseVersion(bytes, versionRange)
        try checkTarget(bytes, targetRange, method: methodRange)
        return HTTPRequestLine(
            method: HTTPMethod(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[methodRange]), as: UTF8.self)),
            target: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetRange]), as: UTF8.self),
            version: version
        )
    }

    /// `HTTP/1.1` or `HTTP/1.0`; another `HTTP/x.y` is well-formed but unsupported (505).
    private static func parseVersion(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        let malformed = HTTPParseError.badRequest("the HTTP version must be HTTP/1.1 or HTTP/1.0")
        guard range.count == 8 else {
            throw range.contains(where: { bytes[$0] == G.sp }) ? malformedLine : malformed
        }
        let s = range.lowerBound
        guard bytes[s] == UInt8(ascii: "H"), bytes[s + 1] == UInt8(ascii: "T"), bytes[s + 2] == UInt8(ascii: "T"),
              bytes[s + 3] == UInt8(ascii: "P"), bytes[s + 4] == G.slash, bytes[s + 6] == UInt8(ascii: ".")
        else { throw malformed }
        let major = bytes[s + 5], minor = bytes[s + 7]
        guard (0x30...0x39).contains(major), (0x30...0x39).contains(minor) else { throw malformed }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default:
            throw HTTPParseError(status: .httpVersionNotSupported, detail: "only HTTP/1.1 and HTTP/1.0 are supported")
        }
    }

    /// Origin-form (`/` then pchar, `/`, `?` and `%XX`), or `*` for OPTIONS; nothing else, and no rewriting.
    private static func checkTarget(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, method: Range<Int>) throws(HTTPParseError) {
        guard let first = range.first else { throw .badRequest("the request target is empty") }
        if bytes[first] == G.asterisk, range.count == 1 {
            // Methods are case-sensitive (RFC 9110 §9.1): only `OPTIONS` itself.
            guard G.equals(bytes, method, "OPTIONS") else { throw .badRequest("the asterisk target is allowed only with OPTIONS") }
            return
        }
        guard bytes[first] == G.slash else {
            throw .badRequest("the request target must be in origin form, starting with '/'")
        }
        var i = first + 1
        let end = range.upperBound
        while i < end {
            let b = bytes[i]
            if b == G.percent {
                guard i + 2 < end, G.hexValue(bytes[i + 1]) != nil, G.hexValue(bytes[i + 2]) != nil
                else { throw .badRequest("a '%' in the request target is not followed by two hex digits") }
                i += 3
            } else {
                guard G.isTargetByte(b) else {
                    throw .badRequest("the request target contains a character that is not allowed in origin form")
                }
                i += 1
            }
        }
    }
}
