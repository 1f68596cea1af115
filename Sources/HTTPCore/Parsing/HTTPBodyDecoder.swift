/// Reads one request body, framed by Content-Length or the chunked coding (RFC 9112 §6, §7.1), from
/// bytes in any pieces: it takes every byte it can but never one past its message, so pipelined
/// requests stay with the caller, and it refuses a body over the limit before reading it.
public struct HTTPBodyDecoder: Sendable {
    public enum Result: Equatable, Sendable {
        case needMore
        case complete
        case failure(HTTPParseError)
    }

    private enum State: Sendable {
        case fixed(remaining: Int)
        case chunkSize
        /// BWS after the size, which only a chunk extension may follow.
        case chunkSizeSpace
        case chunkExtension
        case chunkSizeLF
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        case trailerLineStart
        case trailerName
        case trailerValue
        case trailerLF
        case finalLF
        case finished(Result)
    }

    private typealias G = HTTPGrammar

    public let limits: HTTPLimits
    private var state: State
    private var decoded = 0
    private var chunkLineBytes = 0
    private var chunkSizeDigits = 0
    private var chunkSize: UInt64 = 0
    private var trailerBytes = 0
    private var trailerFields = 0
    /// Bytes looked at so far: each byte once.
    internal private(set) var bytesExamined = 0

    /// Refuses (413) a Content-Length beyond `limits.maxBodyBytes` before any of the body is read.
    public init(framing: BodyFraming, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) {
        self.limits = limits
        switch framing {
        case .none:
            state = .finished(.complete)
        case .contentLength(let length):
            guard length >= 0 else { throw .badRequest("Content-Length must be a non-negative decimal number") }
            guard length <= limits.maxBodyBytes else { throw Self.tooLarge(limits) }
            state = length == 0 ? .finished(.complete) : .fixed(remaining: length)
        case .chunked:
            state = .chunkSize
        }
    }

    /// Whether the whole body has been read.
    public var isComplete: Bool {
        if case .finished(.complete) = state { true } else { false }
    }

    /// Decodes from the start of `bytes`, appending body bytes to `body`. With `.needMore` every byte
    /// was consumed; with `.complete` the bytes after `consumed` belong to the next request.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, into body: inout [UInt8]) -> (consumed: Int, result: Result) {
        let count = bytes.count
        var i = 0
        while i < count {
            switch state {
            case .finished(let result):
                return (i, result)
            case .fixed(let remaining):
                let take = min(remaining, count - i)
                append(bytes, i, take, to: &body)
                i += take
                state = take == remaining ? .finished(.complete) : .fixed(remaining: remaining - take)
            case .chunkData(let remaining):
                let take = min(remaining, count - i)
                append(bytes, i, take, to: &body)
                i += take
                state = take == remaining ? .chunkDataCR : .chunkData(remaining: remaining - take)
            default:
                let b = bytes[i]
                i += 1
                bytesExamined += 1
                if let error = step(b) {
                    state = .finished(.failure(error))
                }
            }
        }
        if case .finished(let result) = state { return (i, result) }
        return (i, .needMore)
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int, to body: inout [UInt8]) {
        guard count > 0, let base = bytes.baseAddress else { return }
        body.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: count).assumingMemoryBound(to: UInt8.self))
        decoded += count
        bytesExamined += count
    }

    /// Advances the chunked state machine by one byte; returns the error that ends the body, if any.
    private mutating func step(_ b: UInt8) -> HTTPParseError? {
        switch state {
        case .chunkSize:
            if let digit = G.hexValue(b) {
                chunkSizeDigits += 1
                guard chunkSizeDigits <= 16 else { return .badRequest("a chunk size has more than 16 hex digits") }
                chunkSize = chunkSize << 4 | UInt64(digit)
            } else if chunkSizeDigits == 0 {
                return b == G.lf ? .bareLF : .badRequest("a chunk-size line does not start with a hex digit")
            } else if b == G.cr {
                state = .chunkSizeLF
                return nil
            } else if b == G.semicolon {
                state = .chunkExtension
            } else if G.isOWS(b) {
                state = .chunkSizeSpace
            } else {
                return b == G.lf ? .bareLF : .badRequest("a chunk size contains a character that is not a hex digit")
            }
            return countChunkLineByte()
        case .chunkSizeSpace:
            if b == G.semicolon {
                state = .chunkExtension
            } else if !G.isOWS(b) {
                return .badRequest("whitespace after a chunk size may only precede a chunk extension")
            }
            return countChunkLineByte()
        case .chunkExtension:
            if b == G.cr {
                state = .chunkSizeLF
                return nil
            }
            guard G.isFieldValue(b) else { return .badRequest("a chunk extension contains a control character") }
            return countChunkLineByte()
        case .chunkSizeLF:
            guard b == G.lf else { return .bareCR }
            return chunkSizeLineEnded()
        case .chunkDataCR:
            guard b == G.cr else { return .badRequest("chunk data is not followed by CRLF") }
            state = .chunkDataLF
        case .chunkDataLF:
            guard b == G.lf else { return .badRequest("chunk data is not followed by CRLF") }
            state = .chunkSize
        case .trailerLineStart, .trailerName, .trailerValue, .trailerLF, .finalLF:
            return trailerStep(b)
        case .fixed, .chunkData, .finished:
            break
        }
        return nil
    }

    private mutating func countChunkLineByte() -> HTTPParseError? {
        chunkLineBytes += 1
        guard chunkLineBytes > limits.maxChunkLineBytes else { return nil }
        return .badRequest("a chunk-size line exceeds \(limits.maxChunkLineBytes) bytes")
    }

    private mutating func chunkSizeLineEnded() -> HTTPParseError? {
        defer {
            chunkLineBytes = 0
            chunkSizeDigits = 0
            chunkSize = 0
        }
        guard chunkSize > 0 else {
            state = .trailerLineStart
            return nil
        }
        guard chunkSize <= UInt64(clamping: limits.maxBodyBytes - decoded) else { return Self.tooLarge(limits) }
        state = .chunkData(remaining: Int(truncatingIfNeeded: chunkSize))
        return nil
    }

    /// The trailer section: header fields checked like the head's (RFC 9112 §7.1.2), then discarded.
    private mutating func trailerStep(_ b: UInt8) -> HTTPParseError? {
        trailerBytes += 1
        if trailerBytes > limits.maxHeaderBytes {
            return HTTPParseError(
                status: .requestHeaderFieldsTooLarge, detail: "the trailer section exceeds \(limits.maxHeaderBytes) bytes"
            )
        }
        switch state {
        case .trailerLineStart:
            if b == G.cr {
                state = .finalLF
            } else if G.isToken(b) {
                trailerFields += 1
                guard trailerFields <= limits.maxHeaderCount else {
                    return HTTPParseError(
                        status: .requestHeaderFieldsTooLarge,
                        detail: "the trailer section has more than \(limits.maxHeaderCount) fields"
                    )
                }
                state = .trailerName
            } else if G.isOWS(b) {
                return .badRequest("a trailer field line starts with whitespace (obsolete line folding is not accepted)")
            } else if b == G.colon {
                return .badRequest("a trailer field has an empty name")
            } else {
                return b == G.lf ? .bareLF : .badRequest("a trailer field name contains a character that is not a token character")
            }
        case .trailerName:
            if b == G.colon {
                state = .trailerValue
            } else if !G.isToken(b) {
                if b == G.cr { return .badRequest("a trailer field line has no colon") }
                return b == G.lf ? .bareLF : .badRequest("a trailer field name must be token characters followed directly by a colon")
            }
        case .trailerValue:
            if b == G.cr {
                state = .trailerLF
            } else if !G.isFieldValue(b) {
                return b == G.lf ? .bareLF : .badRequest("a trailer field value contains a control character")
            }
        case .trailerLF:
            guard b == G.lf else { return .bareCR }
            state = .trailerLineStart
        case .finalLF:
            guard b == G.lf else { return .bareCR }
            state = .finished(.complete)
        default:
            break
        }
        return nil
    }

    private static func tooLarge(_ limits: HTTPLimits) -> HTTPParseError {
        HTTPParseError(status: .contentTooLarge, detail: "the body exceeds \(limits.maxBodyBytes) bytes")
    }
}
