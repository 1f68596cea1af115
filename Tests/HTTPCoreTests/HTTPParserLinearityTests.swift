import Testing
@testable import HTTPCore

/// Work stays linear in the bytes received however they arrive, shown by counting the bytes the
/// parsers examine rather than by timing.
@Suite struct HTTPParserLinearityTests {
    /// Feeds growing prefixes of `input` (ending at each of `ends`) as a connection would.
    private func feed(_ input: [UInt8], ends: some Sequence<Int>, limits: HTTPLimits) -> (HTTPRequestHeadParser, HTTPRequestHeadParser.Result?, fed: Int) {
        var parser = HTTPRequestHeadParser(limits: limits)
        for end in ends {
            let result = input.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
            if case .needMore = result { continue }
            return (parser, result, end)
        }
        return (parser, nil, input.count)
    }

    @Test func oneLongHeaderLineOneByteAtATime() {
        let prefix = bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Long: ")
        let sectionOverhead = bytes("Host: a\r\nX-Long: ").count + 4
        let input = prefix + [UInt8](repeating: UInt8(ascii: "v"), count: 16384 - sectionOverhead) + bytes("\r\n\r\n")
        let (parser, result, fed) = feed(input, ends: 1...input.count, limits: HTTPLimits())
        guard case .complete(let head, let consumed) = result else {
            Issue.record("expected a complete head, got \(String(describing: result))")
            return
        }
        #expect(consumed == input.count && fed == input.count)
        #expect(head.headers["x-long"]?.utf8.count == 16384 - sectionOverhead)
        #expect(parser.bytesExamined <= 3 * input.count, "examined \(parser.bytesExamined) of \(input.count)")
    }

    @Test func manyShortHeaderLinesOneByteAtATime() {
        var input = bytes("GET / HTTP/1.1\r\nHost: a\r\n")
        let sectionStart = input.count - 9
        var fields = 1
        while input.count - sectionStart + 9 <= 16384 {
            input += bytes("X\(fields): v\r\n")
            fields += 1
        }
        input += bytes("\r\n")
        #expect(input.count - sectionStart <= 16384)
        let limits = HTTPLimits(maxHeaderCount: 10_000)
        let (parser, result, _) = feed(input, ends: 1...input.count, limits: limits)
        guard case .complete(let head, _) = result else {
            Issue.record("expected a complete head, got \(String(describing: result))")
            return
        }
        #expect(head.headers.count == fields)
        #expect(parser.bytesExamined <= 3 * input.count, "examined \(parser.bytesExamined) of \(input.count)")
    }

    @Test func aMebibyteRequestLineFailsAtTheLimitIn4KiBPieces() {
        let input = bytes("GET /") + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20) + bytes(" HTTP/1.1\r\n\r\n")
        let limits = HTTPLimits()
        let (parser, result, fed) = feed(input, ends: stride(from: 4096, through: input.count, by: 4096), limits: limits)
        guard case .failure(let error) = result else {
            Issue.record("expected 414, got \(String(describing: result))")
            return
        }
        #expect(error.status == .uriTooLong)
        // Refused in the first piece that passes the limit, having looked at one byte beyond it.
        #expect(fed == 12288)
        #expect(parser.bytesExamined == limits.maxRequestLineBytes + 1)
    }

    @Test func aChunkedBodyOneByteAtATimeIsExaminedOnce() throws {
        var message: [UInt8] = []
        for i in 0..<2000 { message += bytes("1;n=\(i)\r\nx\r\n") }
        message += bytes("0\r\nT: v\r\n\r\n")
        var decoder = try HTTPBodyDecoder(framing: .chunked, limits: HTTPLimits())
        var body: [UInt8] = []
        var result = HTTPBodyDecoder.Result.needMore
        for byte in message {
            let step = [byte].withUnsafeBytes { decoder.decode($0, into: &body) }
            #expect(step.consumed == 1)
            result = step.result
        }
        #expect(result == .complete)
        #expect(body.count == 2000)
        #expect(decoder.bytesExamined == message.count)
    }
}
