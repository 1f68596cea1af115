import Testing
@testable import HTTPCore

/// The request table: each case read whole must give its expected request or status, and the same
/// outcome however its bytes are split.
@Suite struct HTTPRequestParsingTests {
    @Test(arguments: allRequestCases)
    func outcome(_ c: RequestCase) {
        let outcome = RequestFeeder.whole(c.input, limits: c.limits)
        switch c.expected {
        case .refused(let status):
            #expect(outcome.status == status, "\(outcome)")
            if case .failed(let error) = outcome.end {
                #expect(!error.detail.isEmpty && error.detail.utf8.count <= 120, "\(error.detail)")
            }
        case .accepted(let a):
            #expect(outcome.end == .complete, "\(outcome)")
            #expect(outcome.method == a.method)
            #expect(outcome.target == a.target)
            #expect(outcome.version == a.version)
            #expect(outcome.framing == a.framing)
            #expect(outcome.keepAlive == a.keepAlive)
            #expect(outcome.expectsContinue == a.expectsContinue)
            #expect(outcome.body == bytes(a.body))
            #expect(outcome.consumed == (a.consumed ?? c.input.count))
            if let headers = a.headers {
                #expect(outcome.headers == headers.map { Outcome.Field(name: $0.0, value: $0.1) })
            }
        }
    }

    @Test(arguments: allRequestCases)
    func splitInvariance(_ c: RequestCase) {
        RequestFeeder.expectSplitInvariant(c.input, limits: c.limits, c.name)
    }

    @Test func pipelinedRequestsParseInTurn() throws {
        let input = bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.0\r\n\r\n")
        var offset = 0
        var targets: [String] = []
        while offset < input.count {
            let outcome = RequestFeeder.whole(Array(input[offset...]), limits: HTTPLimits())
            try #require(outcome.end == .complete, "\(outcome)")
            targets.append(outcome.target ?? "")
            offset += outcome.consumed
        }
        #expect(targets == ["/1", "/2", "/3"])
        #expect(offset == input.count)
    }

    @Test func hasStartedAtTheFirstByteEvenAnEmptyLine() {
        var parser = HTTPRequestHeadParser(limits: HTTPLimits())
        #expect(!parser.hasStarted)
        let empty: [UInt8] = []
        _ = empty.withUnsafeBytes { parser.parse($0) }
        #expect(!parser.hasStarted)
        let cr = bytes("\r")
        guard case .needMore = cr.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("a lone CR needs more")
            return
        }
        #expect(parser.hasStarted)
    }

    @Test func aFinishedParserRepeatsItsResultAndResetStartsOver() {
        var parser = HTTPRequestHeadParser(limits: HTTPLimits())
        let input = bytes("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        for _ in 0..<2 {
            guard case .complete(let head, let consumed) = input.withUnsafeBytes({ parser.parse($0) }) else {
                Issue.record("expected a complete head")
                return
            }
            #expect(head.target == "/a" && consumed == input.count)
        }
        parser.reset()
        #expect(!parser.hasStarted)
        let bad = bytes("GET a HTTP/1.1\r\n")
        guard case .failure(let error) = bad.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == .badRequest)
    }

    @Test func limitsFireBeforeTheHeadEnds() {
        // The 101st field is refused at its first byte, long before CRLF CRLF.
        let fields = "GET / HTTP/1.1\r\nHost: a\r\n" + (1...99).map { "X-\($0): v\r\n" }.joined() + "Y"
        var parser = HTTPRequestHeadParser(limits: HTTPLimits())
        guard case .failure(let error) = bytes(fields).withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("expected 431 at the 101st field")
            return
        }
        #expect(error.status == .requestHeaderFieldsTooLarge)
        #expect(error.detail == "the request has more than 100 header fields")

        // The header section is refused at its 16385th byte, with no line end in sight.
        let section = bytes("GET / HTTP/1.1\r\nX: ") + [UInt8](repeating: 0x61, count: 16382)
        var long = HTTPRequestHeadParser(limits: HTTPLimits())
        let before = section.withUnsafeBytes { long.parse(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        guard case .needMore = before else {
            Issue.record("16384 bytes of header section are within the limit")
            return
        }
        guard case .failure(let tooLarge) = section.withUnsafeBytes({ long.parse($0) }) else {
            Issue.record("expected 431 at byte 16385")
            return
        }
        #expect(tooLarge == HTTPParseError(status: .requestHeaderFieldsTooLarge, detail: "the header section exceeds 16384 bytes"))
    }

    @Test func requestRoundTripsIntoHTTPRequest() {
        var parser = HTTPRequestHeadParser(limits: HTTPLimits())
        let input = bytes("PATCH /v1/e/1?x=y HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        guard case .complete(let head, _) = input.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("expected a complete head")
            return
        }
        let request = head.request(body: [1, 2])
        #expect(request.method == .PATCH)
        #expect(request.path == "/v1/e/1")
        #expect(request.query == "x=y")
        #expect(request.headers["content-length"] == "2")
        #expect(request.body == [1, 2])
    }
}
