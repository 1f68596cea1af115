/// Reads one request head from the bytes of a connection as they arrive, in any pieces, with work
/// linear in the bytes received: each call resumes where the last one stopped, and every limit fires
/// on the byte that breaks it rather than when the head is complete.
public struct HTTPRequestHeadParser: Sendable {
    public enum Result: Sendable {
        case needMore
        /// `consumed` counts the head through its final CRLF CRLF, leading empty lines included.
        case complete(HTTPRequestHead, consumed: Int)
        case failure(HTTPParseError)
    }

    private enum Phase: Sendable {
        /// Empty lines a client may send before the request line (RFC 9112 §2.2).
        case leadingLines
        case requestLine
        case fields
        case finished
    }

    private typealias G = HTTPGrammar

    public let limits: HTTPLimits
    /// True once any byte arrived (an empty line too): the server's header deadline starts here.
    public private(set) var hasStarted = false
    /// Bytes looked at so far, rescans included: tests hold it to a small multiple of the bytes fed.
    internal private(set) var bytesExamined = 0

    private var phase = Phase.leadingLines
    /// The next byte to scan; everything before it has been scanned once and is never scanned again.
    private var position = 0
    private var lineStart = 0
    private var afterCR = false
    private var fieldsStart = 0
    private var fieldCount = 0
    private var requestLine: HTTPRequestLine?
    private var outcome = Result.needMore

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Starts over for the next head on the connection, keeping the limits.
    public mutating func reset() {
        self = HTTPRequestHeadParser(limits: limits)
    }

    /// Scans `buffer`: every byte received since this head began, the same prefix each time plus what
    /// arrived since. Once it returns `.complete` or `.failure`, it returns the same again.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> Result {
        guard phase != .finished else { return outcome }
        let count = buffer.count
        if count > 0 { hasStarted = true }
        while position < count {
            if !afterCR, position != lineStart {
                // Inside a line: skip ordinary bytes in a tight loop on locals, up to the phase's limit.
                let stop = min(count, ordinaryBytesEnd)
                var i = position
                while i < stop {
                    let b = buffer[i]
                    if b == G.cr || b == G.lf { break }
                    i &+= 1
                }
                bytesExamined += i - position
                position = i
                guard i < count else { break }
            }
            if step(buffer) { return outcome }
        }
        return .needMore
    }

    /// Where ordinary bytes of the current line stop being within the current phase's limit.
    private var ordinaryBytesEnd: Int {
        switch phase {
        case .leadingLines, .requestLine: limits.maxRequestLineBytes
        case .fields: fieldsStart.addingReportingOverflow(limits.maxHeaderBytes).overflow ? .max : fieldsStart + limits.maxHeaderBytes
        case .finished: 0
        }
    }

    /// Scans the byte at `position`: line ends, bare CR and LF, the first byte of a line, and limits.
    /// Returns true once the head is decided (the outcome is then in `outcome`).
    private mutating func step(_ buffer: UnsafeRawBufferPointer) -> Bool {
        let b = buffer[position]
        bytesExamined += 1
        position += 1
        if afterCR {
            guard b == G.lf else { return finish(.failure(.bareCR)) }
            afterCR = false
            if let exceeded = limitExceeded(by: b) { return finish(.failure(exceeded)) }
            if lineEnded(buffer, cr: position - 2) { return true }
            lineStart = position
            return false
        }
        switch b {
        case G.lf:
            return finish(.failure(.bareLF))
        case G.cr:
            afterCR = true
        default:
            if phase == .leadingLines { phase = .requestLine }
            if phase == .fields, position - 1 == lineStart {
                // The first byte of a field line: the field count is known to grow right now.
                fieldCount += 1
                if fieldCount > limits.maxHeaderCount {
                    return finish(.failure(HTTPParseError(
                        status: .requestHeaderFieldsTooLarge,
                        detail: "the request has more than \(limits.maxHeaderCount) header fields"
                    )))
                }
            }
        }
        if let exceeded = limitExceeded(by: b) { return finish(.failure(exceeded)) }
        return false
    }

    /// The size limit the byte just scanned (at `position - 1`) breaks, if any.
    @inline(__always)
    private func limitExceeded(by b: UInt8) -> HTTPParseError? {
        switch phase {
        case .leadingLines:
            // Leading empty lines count toward the request line.
            return position > limits.maxRequestLineBytes ? requestLineTooLong : nil
        case .requestLine:
            // The request line's own CRLF does not count.
            return b != G.cr && b != G.lf && position > limits.maxRequestLineBytes ? requestLineTooLong : nil
        case .fields:
            guard position - fieldsStart > limits.maxHeaderBytes else { return nil }
            return HTTPParseError(
                status: .requestHeaderFieldsTooLarge, detail: "the header section exceeds \(limits.maxHeaderBytes) bytes"
            )
        case .finished:
            return nil
        }
    }

    private var requestLineTooLong: HTTPParseError {
        HTTPParseError(status: .uriTooLong, detail: "the request line exceeds \(limits.maxRequestLineBytes) bytes")
    }

    /// A line `lineStart..<cr` just ended with CRLF; returns true when the head is decided.
    private mutating func lineEnded(_ buffer: UnsafeRawBufferPointer, cr: Int) -> Bool {
        switch phase {
        case .leadingLines, .finished:
            return false
        case .requestLine:
            do {
                requestLine = try HTTPRequestLine.parse(buffer, lineStart..<cr)
            } catch {
                return finish(.failure(error))
            }
            bytesExamined += cr - lineStart
            phase = .fields
            fieldsStart = position
            return false
        case .fields:
            guard cr == lineStart else { return false }
            guard let requestLine else { return finish(.failure(.badRequest("the request line is missing"))) }
            do {
                let head = try HTTPFieldSection.parse(
                    buffer, fieldsStart..<cr, fieldCount: fieldCount, line: requestLine, examined: &bytesExamined
                )
                return finish(.complete(head, consumed: position))
            } catch {
                return finish(.failure(error))
            }
        }
    }

    private mutating func finish(_ result: Result) -> Bool {
        phase = .finished
        outcome = result
        return true
    }
}
