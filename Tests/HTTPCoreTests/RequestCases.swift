import Testing
@testable import HTTPCore

/// One request and what reading it must produce: a request exactly so, or a refusal with a status.
struct RequestCase: Sendable, CustomTestStringConvertible {
    struct Accepted: Sendable {
        var method: String
        var target: String
        var version: HTTPVersion = .http1_1
        /// Checked when given.
        var headers: [(String, String)]?
        var framing: BodyFraming = .none
        var keepAlive = true
        var expectsContinue = false
        var body = ""
        /// Head and body bytes taken; nil means the whole input.
        var consumed: Int?
    }

    enum Expected: Sendable {
        case accepted(Accepted)
        case refused(Int)
    }

    let name: String
    let input: [UInt8]
    let expected: Expected
    var limits = HTTPLimits()

    var testDescription: String { name }

    init(_ name: String, _ input: String, _ expected: Expected, limits: HTTPLimits = HTTPLimits()) {
        self.init(name, bytes(input), expected, limits: limits)
    }

    init(_ name: String, _ input: [UInt8], _ expected: Expected, limits: HTTPLimits = HTTPLimits()) {
        self.name = name
        self.input = input
        self.expected = expected
        self.limits = limits
    }
}

/// Tight limits so the limit cases stay short enough to split at every byte.
let smallLimits = HTTPLimits(maxRequestLineBytes: 32, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 16, maxChunkLineBytes: 8)

private let getA = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
private let postABC = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
private let postChunkedX = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
private func refused(_ status: Int) -> RequestCase.Expected { .refused(status) }
private func accepted(_ a: RequestCase.Accepted) -> RequestCase.Expected { .accepted(a) }

let validRequestCases: [RequestCase] = [
    RequestCase("GET with a query", "GET /v1/entities?isbn=978-3-16-148410-0&q=a%20b;c=d:e@f HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
                accepted(.init(method: "GET", target: "/v1/entities?isbn=978-3-16-148410-0&q=a%20b;c=d:e@f",
                               headers: [("Host", "example.com"), ("Accept", "*/*")]))),
    RequestCase("HEAD with Connection: close", "HEAD /covers/1.jpg HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n",
                accepted(.init(method: "HEAD", target: "/covers/1.jpg", keepAlive: false))),
    RequestCase("POST with Content-Length", "POST /v1/entities HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                accepted(.init(method: "POST", target: "/v1/entities", framing: .contentLength(5), body: "hello"))),
    RequestCase("Content-Length: 0", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                accepted(.init(method: "PUT", target: "/x", framing: .contentLength(0)))),
    RequestCase("chunked with extensions and trailers",
                "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=value\r\nhello\r\n6 ; a=\"b c\";d\r\n world\r\n000\r\nChecksum: abc\r\nX-T:\r\n\r\n",
                accepted(.init(method: "POST", target: "/up", framing: .chunked, body: "hello world"))),
    RequestCase("chunked with upper-case hex and no trailers",
                "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
                accepted(.init(method: "POST", target: "/up", framing: .chunked, body: "0123456789"))),
    RequestCase("HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n",
                accepted(.init(method: "GET", target: "/", version: .http1_0, headers: [], keepAlive: false))),
    RequestCase("HTTP/1.0 with keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: a\r\n\r\n",
                accepted(.init(method: "GET", target: "/", version: .http1_0, keepAlive: true))),
    RequestCase("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", accepted(.init(method: "OPTIONS", target: "*"))),
    RequestCase("pipelined GETs: the first completes", getA + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
                accepted(.init(method: "GET", target: "/", consumed: getA.utf8.count))),
    RequestCase("pipelined POST then GET: the body stops at its length", postABC + getA,
                accepted(.init(method: "POST", target: "/", framing: .contentLength(3), body: "abc", consumed: postABC.utf8.count))),
    RequestCase("pipelined chunked then GET", postChunkedX + getA,
                accepted(.init(method: "POST", target: "/", framing: .chunked, body: "x", consumed: postChunkedX.utf8.count))),
    RequestCase("leading empty lines are skipped and counted", "\r\n\r\n" + getA,
                accepted(.init(method: "GET", target: "/", consumed: 4 + getA.utf8.count))),
    RequestCase("agreeing duplicate Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3 , 3\r\n\r\nabc",
                accepted(.init(method: "POST", target: "/", framing: .contentLength(3), body: "abc"))),
    RequestCase("Expect: 100-continue with a body", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
                accepted(.init(method: "POST", target: "/", framing: .contentLength(1), expectsContinue: true, body: "x"))),
    RequestCase("Expect: 100-continue without a body", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
                accepted(.init(method: "GET", target: "/"))),
    RequestCase("OWS trimmed, inner spaces and obs-text kept",
                bytes("GET / HTTP/1.1\r\nhost:a\r\nX-A: \t value  with\tspaces \t \r\nX-E:\r\nX-U: caf") + [0xC3, 0xA9] + bytes("\r\n\r\n"),
                accepted(.init(method: "GET", target: "/", headers: [("host", "a"), ("X-A", "value  with\tspaces"), ("X-E", ""), ("X-U", "café")]))),
    RequestCase("extension method, target kept exactly", "PURGE //a/../b/./c%2F?x=%41 HTTP/1.1\r\nHost: a\r\n\r\n",
                accepted(.init(method: "PURGE", target: "//a/../b/./c%2F?x=%41"))),
    RequestCase("limits met exactly", "GET /abcdefghijklmnopqr HTTP/1.1\r\nHost: a\r\nB: b\r\nC: " + String(repeating: "c", count: 42) + "\r\n\r\n",
                accepted(.init(method: "GET", target: "/abcdefghijklmnopqr")), limits: smallLimits),
]

let malformedRequestCases: [RequestCase] = [
    // Request line
    RequestCase("target without a leading slash", "GET v1/config HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("target ./v1/config", "GET ./v1/config HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("absolute-form target", "GET http://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("authority-form target", "CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("asterisk with options in lower case", "options * HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("percent with one hex digit", "GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("percent with non-hex", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("percent at the end", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("fragment in target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("non-ASCII in target", bytes("GET /caf") + [0xC3, 0xA9] + bytes(" HTTP/1.1\r\nHost: a\r\n\r\n"), refused(400)),
    RequestCase("control in target", bytes("GET /a") + [0x01] + bytes(" HTTP/1.1\r\nHost: a\r\n\r\n"), refused(400)),
    RequestCase("two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("method with a non-token character", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("no method", " / HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("no version", "GET /\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", refused(505)),
    RequestCase("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", refused(505)),
    RequestCase("HTTP/1.1x", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("HTTP/11", "GET / HTTP/11\r\nHost: a\r\n\r\n", refused(400)),
    // Line endings
    RequestCase("bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", refused(400)),
    RequestCase("bare LF after a field", "GET / HTTP/1.1\r\nHost: a\n\r\n", refused(400)),
    RequestCase("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", refused(400)),
    RequestCase("bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    RequestCase("bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", refused(400)),
    RequestCase("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", refused(400)),
    // Field lines
    RequestCase("obsolete line folding", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", refused(400)),
    RequestCase("tab folding", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", refused(400)),
    RequestCase("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", refused(400)),
    RequestCase("no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", refused(400)),
    RequestCase("empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", refused(400)),
    RequestCase("non-token field name", "GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", refused(400)),
    RequestCase("NUL in a value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX: a") + [0] + bytes("b\r\n\r\n"), refused(400)),
    RequestCase("DEL in a value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX: a") + [0x7F] + bytes("\r\n\r\n"), refused(400)),
    // Host
    RequestCase("missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", refused(400)),
    RequestCase("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", refused(400)),
    RequestCase("two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", refused(400)),
    // Framing
    RequestCase("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", refused(400)),
    RequestCase("disagreeing Content-Length fields", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", refused(400)),
    RequestCase("disagreeing Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", refused(400)),
    RequestCase("Content-Length 05 and 5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\nContent-Length: 5\r\n\r\nabcde", refused(400)),
    RequestCase("Content-Length: +5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nabcde", refused(400)),
    RequestCase("Content-Length: -1", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", refused(400)),
    RequestCase("Content-Length with an inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", refused(400)),
    RequestCase("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", refused(400)),
    RequestCase("Content-Length with an empty element", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,\r\n\r\nx", refused(400)),
    RequestCase("Transfer-Encoding gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", refused(501)),
    RequestCase("Transfer-Encoding gzip then chunked in two fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", refused(501)),
    RequestCase("Transfer-Encoding chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", refused(400)),
    RequestCase("Transfer-Encoding chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", refused(400)),
    RequestCase("Transfer-Encoding gzip alone", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", refused(400)),
    RequestCase("Transfer-Encoding with an empty element", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n", refused(400)),
    RequestCase("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", refused(400)),
    RequestCase("Expect other than 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", refused(417)),
    // Chunked body
    RequestCase("bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", refused(400)),
    RequestCase("chunk size with a sign", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", refused(400)),
    RequestCase("chunk size of 17 digits", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n", refused(400)),
    RequestCase("space after a chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n", refused(400)),
    RequestCase("chunk data not followed by CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", refused(400)),
    RequestCase("chunk size line ending in a bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", refused(400)),
    RequestCase("control in a chunk extension", bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a") + [0] + bytes("\r\nhello\r\n0\r\n\r\n"), refused(400)),
    RequestCase("oversized chunk line", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;abcdefgh\r\nhello\r\n0\r\n\r\n",
                refused(400), limits: smallLimits),
    RequestCase("obs-fold in a trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", refused(400)),
    RequestCase("space before a trailer colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : a\r\n\r\n", refused(400)),
    RequestCase("too many trailer fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                refused(431), limits: smallLimits),
    RequestCase("last chunk not followed by CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX", refused(400)),
    // Limits
    RequestCase("request line over the limit", "GET /abcdefghijklmnopqrs HTTP/1.1\r\nHost: a\r\n\r\n", refused(414), limits: smallLimits),
    RequestCase("leading empty lines count toward the request line", "\r\n\r\nGET /abcdefghijklmnop HTTP/1.1\r\nHost: a\r\n\r\n",
                refused(414), limits: smallLimits),
    RequestCase("request line over the default limit", "GET /" + String(repeating: "a", count: 8200) + " HTTP/1.1\r\nHost: a\r\n\r\n", refused(414)),
    RequestCase("header section over the limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 60) + "\r\n\r\n",
                refused(431), limits: smallLimits),
    RequestCase("header section over the default limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 16380) + "\r\n\r\n", refused(431)),
    RequestCase("header section one byte over the limit at its final LF", "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 49) + "\r\n\r\n",
                refused(431), limits: smallLimits),
    RequestCase("four fields over a limit of three", "GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\nD: d\r\n\r\n", refused(431), limits: smallLimits),
    RequestCase("101 fields", "GET / HTTP/1.1\r\nHost: a\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n", refused(431)),
    RequestCase("Content-Length over the body limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", refused(413)),
    RequestCase("Content-Length beyond Int", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", refused(413)),
    RequestCase("chunked body over the limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n7\r\nabcdefg\r\n0\r\n\r\n",
                refused(413), limits: smallLimits),
    RequestCase("chunk size over the default body limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", refused(413)),
    RequestCase("largest chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", refused(413)),
]

let allRequestCases = validRequestCases + malformedRequestCases
