/// The header field section of a request head, read in one pass once its final CRLF has arrived:
/// each field line is checked (RFC 9112 §5), kept as sent, and the fields that decide framing,
/// persistence and expectations are read on the way, by name bytes, without searching the list again.
struct HTTPFieldSection {
    private typealias G = HTTPGrammar

    /// Parses `bytes[section]`: whole field lines, each ending in CRLF, without the final empty line.
    /// The scanner has already ruled out bare CR and LF, so every line ends at its first CR.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, _ section: Range<Int>, fieldCount: Int, line: HTTPRequestLine,
        examined: inout Int
    ) throws(HTTPParseError) -> HTTPRequestHead {
        var fields: [HTTPHeaders.Field] = []
        fields.reserveCapacity(fieldCount)
        var facts = Facts(version: line.version)
        let end = section.upperBound
        var i = section.lowerBound
        while i < end {
            let lineStart = i
            guard !G.isOWS(bytes[i]) else {
                throw .badRequest("a header field line starts with whitespace (obsolete line folding is not accepted)")
            }
            while i < end, G.isToken(bytes[i]) { i += 1 }
            let name = lineStart..<i
            guard i < end, bytes[i] == G.colon else {
                if i == end || bytes[i] == G.cr { throw .badRequest("a header field line has no colon") }
                while i < end, G.isOWS(bytes[i]) { i += 1 }
                if i < end, bytes[i] == G.colon, !name.isEmpty {
                    throw .badRequest("a header field name is followed by whitespace before its colon")
                }
                throw .badRequest("a header field name must be token characters followed directly by a colon")
            }
            guard !name.isEmpty else { throw .badRequest("a header field has an empty name") }
            i += 1
            while i < end, G.isOWS(bytes[i]) { i += 1 }
            let valueStart = i
            while i < end {
                let b = bytes[i]
                if b > G.sp, b != 0x7F { i &+= 1; continue }  // VCHAR and obs-text, the common case
                if b == G.sp || b == G.htab { i &+= 1; continue }
                if b == G.cr { break }
                throw .badRequest("a header field value contains a control character")
            }
            var valueEnd = i
            while valueEnd > valueStart, G.isOWS(bytes[valueEnd - 1]) { valueEnd -= 1 }
            let value = valueStart..<valueEnd
            try facts.note(bytes, name: name, value: value, examined: &examined)
            fields.append((
                name: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[name]), as: UTF8.self),
                value: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[value]), as: UTF8.self)
            ))
            i += 2  // CRLF
        }
        examined += section.count
        return try facts.head(line: line, headers: HTTPHeaders(fields))
    }

    /// What the hot fields said, gathered during the pass and judged once it is over.
    private struct Facts {
        let version: HTTPVersion
        var hostCount = 0
        var contentLength: Int?
        var contentLengthDigits: Range<Int>?
        var transferEncodingSeen = false
        var codings = 0
        var chunkedCodings = 0
        var lastCodingIsChunked = false
        var codingMalformed = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        var expectOther = false

        init(version: HTTPVersion) { self.version = version }

        mutating func note(
            _ bytes: UnsafeRawBufferPointer, name: Range<Int>, value: Range<Int>, examined: inout Int
        ) throws(HTTPParseError) {
            switch name.count {
            case 4 where G.equalsIgnoringCase(bytes, name, "host"):
                hostCount += 1
            case 6 where G.equalsIgnoringCase(bytes, name, "expect"):
                examined += value.count
                if G.equalsIgnoringCase(bytes, value, "100-continue") { expectContinue = true } else { expectOther = true }
            case 10 where G.equalsIgnoringCase(bytes, name, "connection"):
                examined += value.count
                for token in ListElements(bytes, value) {
                    if G.equalsIgnoringCase(bytes, token, "close") { connectionClose = true }
                    if G.equalsIgnoringCase(bytes, token, "keep-alive") { connectionKeepAlive = true }
                }
            case 14 where G.equalsIgnoringCase(bytes, name, "content-length"):
                examined += value.count
                for element in ListElements(bytes, value) { try noteContentLength(bytes, element) }
            case 17 where G.equalsIgnoringCase(bytes, name, "transfer-encoding"):
                examined += value.count
                transferEncodingSeen = true
                for element in ListElements(bytes, value) { noteCoding(bytes, element) }
            default:
                break
            }
        }

        /// Every Content-Length value, across fields and list elements, must be the same digit string.
        private mutating func noteContentLength(_ bytes: UnsafeRawBufferPointer, _ digits: Range<Int>) throws(HTTPParseError) {
            guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else {
                throw .badRequest("Content-Length must be a non-negative decimal number")
            }
            if let first = contentLengthDigits {
                guard first.count == digits.count, zip(first, digits).allSatisfy({ bytes[$0] == bytes[$1] }) else {
                    throw .badRequest("Content-Length values disagree")
                }
                return
            }
            var n = 0
            for i in digits {
                let (times10, o1) = n.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(bytes[i] &- 0x30))
                if o1 || o2 { n = .max; break }
                n = sum
            }
            contentLengthDigits = digits
            contentLength = n
        }

        private mutating func noteCoding(_ bytes: UnsafeRawBufferPointer, _ element: Range<Int>) {
            codings += 1
            if G.equalsIgnoringCase(bytes, element, "chunked") {
                chunkedCodings += 1
                lastCodingIsChunked = true
                return
            }
            lastCodingIsChunked = false
            // Another coding: a token, optionally followed by parameters; an empty element is malformed.
            var i = element.lowerBound
            while i < element.upperBound, G.isToken(bytes[i]) { i += 1 }
            if i == element.lowerBound { codingMalformed = true; return }
            while i < element.upperBound, G.isOWS(bytes[i]) { i += 1 }
            if i < element.upperBound, bytes[i] != G.semicolon { codingMalformed = true }
        }

        func head(line: HTTPRequestLine, headers: HTTPHeaders) throws(HTTPParseError) -> HTTPRequestHead {
            switch version {
            case .http1_1:
                guard hostCount > 0 else { throw .badRequest("an HTTP/1.1 request must carry a Host field") }
                guard hostCount == 1 else { throw .badRequest("a request must carry at most one Host field") }
            case .http1_0:
                guard hostCount <= 1 else { throw .badRequest("a request must carry at most one Host field") }
            }
            var framing = BodyFraming.none
            if transferEncodingSeen {
                guard version == .http1_1 else { throw .badRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request") }
                guard contentLength == nil else {
                    throw .badRequest("a request must not carry both Transfer-Encoding and Content-Length")
                }
                if !codingMalformed, codings == 1, lastCodingIsChunked {
                    framing = .chunked
                } else if !codingMalformed, lastCodingIsChunked, chunkedCodings == 1 {
                    throw HTTPParseError(status: .notImplemented, detail: "only the chunked transfer coding is supported")
                } else {
                    throw .badRequest("Transfer-Encoding must end with chunked, applied once")
                }
            } else if let contentLength {
                framing = .contentLength(contentLength)
            }
            guard !expectOther else {
                throw HTTPParseError(status: .expectationFailed, detail: "only the 100-continue expectation is supported")
            }
            let hasBody = framing != .none && framing != .contentLength(0)
            return HTTPRequestHead(
                method: line.method, target: line.target, version: version, headers: headers, framing: framing,
                keepAlive: version == .http1_1 ? !connectionClose : connectionKeepAlive && !connectionClose,
                // RFC 9110 §10.1.1: an HTTP/1.0 100-continue is ignored; without a body there is nothing to wait for.
                expectsContinue: expectContinue && version == .http1_1 && hasBody
            )
        }
    }

    /// The comma-separated elements of a field value, each without surrounding OWS; empty ones included.
    private struct ListElements: Sequence, IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int
        var done = false

        init(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) {
            self.bytes = bytes
            position = value.lowerBound
            end = value.upperBound
        }

        mutating func next() -> Range<Int>? {
            guard !done else { return nil }
            var i = position
            while i < end, bytes[i] != G.comma { i += 1 }
            let element = G.trimmingOWS(bytes, position..<i)
            if i < end { position = i + 1 } else { done = true }
            return element
        }
    }
}
