import Foundation
import Testing

/// The HTTP server as a client on a raw loopback socket meets it, in the real `enricher serve` binary:
/// request targets, pipelining, size and time limits, framing, malformed requests and request ids.
/// After every refusal the server must go on serving a plain `GET /healthz` on a new connection, promptly.
@Suite("HTTP front door", .serialized)
struct HTTPFrontDoorTests {
    /// The status lines the server writes: the API's refusals carry the problem's title as reason phrase.
    enum StatusLine {
        static let `continue` = "HTTP/1.1 100 Continue"
        static let ok = "HTTP/1.1 200 OK"
        static let created = "HTTP/1.1 201 Created"
        static let badRequest = "HTTP/1.1 400 Bad request"
        static let unauthorized = "HTTP/1.1 401 Authentication required"
        static let notFound = "HTTP/1.1 404 Not found"
        static let requestTimeout = "HTTP/1.1 408 Request timeout"
        static let contentTooLarge = "HTTP/1.1 413 Request body too large"
        static let uriTooLong = "HTTP/1.1 414 Request line too long"
        static let expectationFailed = "HTTP/1.1 417 Expectation failed"
        static let headersTooLarge = "HTTP/1.1 431 Request header fields too large"
        static let notImplemented = "HTTP/1.1 501 Not implemented"
        static let versionNotSupported = "HTTP/1.1 505 HTTP version not supported"
    }

    static let key = TestService.apiKey
    static let authorization = "Authorization: Bearer \(key)\r\n"
    /// How soon a `GET /healthz` on a new connection must be answered after (or during) an abuse.
    static let promptly = Duration.seconds(1)

    // MARK: 1. Request targets

    @Test("only origin-form targets: no leading slash, ./, absolute form and dot segments get 400; /v1//config is 404; /v1/config needs the key")
    func requestTargets() async throws {
        try await FrontDoor.with { door in
            for target in ["v1/config", "./v1/config", "v1/entities", "http://x/v1/config"] {
                for withKey in [false, true] {
                    let answer = try await door.exchange("GET \(target) HTTP/1.1\r\nHost: x\r\n\(withKey ? Self.authorization : "")\r\n")
                    expectAnswer(answer, StatusLine.badRequest, "GET \(target)\(withKey ? " with the key" : "")")
                    door.expectNoConfig(answer, "GET \(target)")
                    try await door.expectHealthy()
                }
            }

            let refused = try await door.exchange("GET /v1/config HTTP/1.1\r\nHost: x\r\n\r\n")
            expectAnswer(refused, StatusLine.unauthorized, "GET /v1/config without a key")
            #expect(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(refused)")
            door.expectNoConfig(refused, "GET /v1/config without a key")
            try await door.expectHealthy()

            let allowed = try await door.exchange("GET /v1/config HTTP/1.1\r\nHost: x\r\n\(Self.authorization)\r\n")
            expectAnswer(allowed, StatusLine.ok, "GET /v1/config with the key")
            let config = try allowed.json()["config"] as? [String: Any]
            #expect(config?["ENRICHER_DATABASE"] as? String == door.databaseName, "the config data: \(allowed.text.prefix(300))")
            try await door.expectHealthy()

            for target in ["/v1/../v1/config", "/v1/%2e%2e/config", "/v1/%2E%2E/config", "/v1/./config"] {
                for withKey in [false, true] {
                    let answer = try await door.exchange("GET \(target) HTTP/1.1\r\nHost: x\r\n\(withKey ? Self.authorization : "")\r\n")
                    expectAnswer(answer, StatusLine.badRequest, "GET \(target)\(withKey ? " with the key" : "")")
                    door.expectNoConfig(answer, "GET \(target)")
                    try await door.expectHealthy()
                }
            }

            let doubled = try await door.exchange("GET /v1//config HTTP/1.1\r\nHost: x\r\n\(Self.authorization)\r\n")
            expectAnswer(doubled, StatusLine.notFound, "GET /v1//config")
            door.expectNoConfig(doubled, "GET /v1//config")
            try await door.expectHealthy()
        }
    }

    // MARK: 2. A long pipeline on one connection

    @Test("1,100 pipelined requests on one keep-alive connection are all answered, in order; new connections are served afterwards")
    func longPipeline() async throws {
        try await FrontDoor.with { door in
            let count = 1_100
            var requests = ""
            for n in 0..<count {
                requests += "GET /x%20open%20connection HTTP/1.1\r\nHost: x\r\nX-Request-ID: p-\(n)\r\n\r\n"
            }
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            // Written while the answers are read, so neither side's buffers have to hold them all.
            let payload = Array(requests.utf8)
            async let sent = connection.sendAllowingHangUp(payload)
            var answered = 0
            do {
                for n in 0..<count {
                    let answer = try await reader.next(within: .seconds(10))
                    guard answer.statusLine == StatusLine.notFound, answer.header("X-Request-ID") == "p-\(n)" else {
                        Issue.record("answer \(n) is not the 404 for request p-\(n): \(answer)")
                        break
                    }
                    answered += 1
                }
            } catch {
                Issue.record("after \(answered) answers: \(error)")
            }
            let sentCount = await sent
            #expect(sentCount == payload.count, "the server stopped reading the pipeline")
            #expect(answered == count, "answers in order")
            #expect(try await reader.staysQuiet(for: .milliseconds(200)), "more answers than requests: \(reader.pending.count) bytes")

            // The same connection still serves.
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            expectAnswer(try await reader.next(within: Self.promptly), StatusLine.ok, "the pipelined connection afterwards")
            connection.close()

            for _ in 0..<5 { try await door.expectHealthy() }
        }
    }

    // MARK: 3. Oversized request heads

    @Test("64 KiB and 256 KiB header lines get 431 (read or hung up on) while other clients are served; a request line over 8 KiB gets 414")
    func oversizedHeads() async throws {
        try await FrontDoor.with { door in
            for size in [64 << 10, 256 << 10] {
                for readsAnswer in [false, true] {
                    let label = "a \(size >> 10) KiB header line, \(readsAnswer ? "answer read" : "client hangs up")"
                    let connection = try await RawConnection(port: door.port)
                    defer { connection.close() }
                    let head = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8)
                    let line = [UInt8](repeating: UInt8(ascii: "a"), count: size) + Array("\r\n\r\n".utf8)
                    // Below the limit first: the server is still reading this head.
                    try await connection.send(bytes: head + line[..<8192])
                    try await door.expectHealthy(label + ", part sent")
                    // The rest in 16 KiB pieces, another client asking for /healthz after each: past 16 KiB the
                    // server has refused this head and is reading what is left of it.
                    var offset = 8192
                    while offset < line.count {
                        let piece = Array(line[offset..<min(offset + 16_384, line.count)])
                        guard await connection.sendAllowingHangUp(piece) == piece.count else { break }
                        offset += piece.count
                        try await door.expectHealthy(label + ", \(offset) bytes of the line sent")
                    }
                    // (The server may stop reading and hang up once it has answered: the sending stops there.)
                    if readsAnswer {
                        let reader = WireReader(connection)
                        let answer = try await reader.next(within: .seconds(5))
                        expectAnswer(answer, StatusLine.headersTooLarge, label)
                        try await reader.expectClose(within: .seconds(3))
                    } else {
                        connection.close()
                    }
                    try await door.expectHealthy(label + ", afterwards")
                }
            }

            let longLine = "GET /" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
            let (answer, reader) = try await door.exchangeKeepingConnection(longLine)
            expectAnswer(answer, StatusLine.uriTooLong, "a 9 KB request line")
            let detail = try answer.json()["detail"] as? String ?? ""
            #expect(detail.contains("8192") && detail.contains("ENRICHER_HTTP_MAX_REQUEST_LINE_BYTES"), "\(answer)")
            try await reader.expectClose(within: .seconds(3))
            reader.connection.close()
            try await door.expectHealthy("after the long request line")
        }
    }

    // MARK: 4. Slowloris

    @Test("a head dripping in one byte a second gets 408 and is closed ENRICHER_HTTP_HEADER_TIMEOUT_SECONDS after its first byte")
    func slowloris() async throws {
        try await FrontDoor.with(["ENRICHER_HTTP_HEADER_TIMEOUT_SECONDS": "3"]) { door in
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            let clock = ContinuousClock()
            let firstByte = clock.now
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let drip = Task {
                for byte in Array("X-Slow: ".utf8) + [UInt8](repeating: UInt8(ascii: "z"), count: 30) {
                    try await Task.sleep(for: .seconds(1))
                    guard await connection.sendAllowingHangUp([byte]) == 1 else { return }
                }
            }
            defer { drip.cancel() }
            let answer = try await reader.next(within: .seconds(8))
            let answeredAfter = clock.now - firstByte
            drip.cancel()
            expectAnswer(answer, StatusLine.requestTimeout, "the slow head")
            #expect(answeredAfter >= .milliseconds(2_500) && answeredAfter <= .seconds(6), "answered after \(answeredAfter)")
            let detail = try answer.json()["detail"] as? String ?? ""
            #expect(detail.contains("ENRICHER_HTTP_HEADER_TIMEOUT_SECONDS"), "\(answer)")
            try await reader.expectClose(within: .seconds(2))
            #expect(clock.now - firstByte <= .seconds(6), "closed after \(clock.now - firstByte)")
            _ = await drip.result
            try await door.expectHealthy("after the slow head")
        }
    }

    // MARK: 5. The connection cap

    @Test("a body dripping in one byte every half second gets 408 and is closed ENRICHER_HTTP_BODY_TIMEOUT_SECONDS after its head")
    func slowBody() async throws {
        try await FrontDoor.with(["ENRICHER_HTTP_BODY_TIMEOUT_SECONDS": "2", "ENRICHER_HTTP_READ_TIMEOUT_SECONDS": "5"]) { door in
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            let clock = ContinuousClock()
            try await connection.send("PUT /v1/entities/books/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestService.apiKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{")
            let headSent = clock.now
            let drip = Task {
                for byte in Array(#""title": "Dune"                     }"#.utf8) {
                    try await Task.sleep(for: .milliseconds(500))
                    guard await connection.sendAllowingHangUp([byte]) == 1 else { return }
                }
            }
            defer { drip.cancel() }
            let answer = try await reader.next(within: .seconds(8))
            let answeredAfter = clock.now - headSent
            drip.cancel()
            expectAnswer(answer, StatusLine.requestTimeout, "the slow body")
            #expect(answeredAfter >= .milliseconds(1_800) && answeredAfter <= .seconds(4), "answered after \(answeredAfter)")
            let detail = try answer.json()["detail"] as? String ?? ""
            #expect(detail.contains("ENRICHER_HTTP_BODY_TIMEOUT_SECONDS"), "\(answer)")
            try await reader.expectClose(within: .seconds(3))
            _ = await drip.result
            try await door.expectHealthy("after the slow body")
        }
    }

    @Test("with ENRICHER_MAX_CONNECTIONS=3 a 4th client waits unanswered until one of the 3 leaves, then is served")
    func connectionCap() async throws {
        try await FrontDoor.with(["ENRICHER_MAX_CONNECTIONS": "3"]) { door in
            var held: [RawConnection] = []
            defer { held.forEach { $0.close() } }
            for n in 0..<3 {
                let connection = try await RawConnection(port: door.port)
                held.append(connection)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                expectAnswer(try await WireReader(connection).next(within: .seconds(5)), StatusLine.ok, "held connection \(n)")
            }

            let waiting = try await RawConnection(port: door.port)
            defer { waiting.close() }
            let reader = WireReader(waiting)
            try await waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await reader.staysQuiet(for: .milliseconds(500)), "a 4th connection was served past the cap: \(reader.pending.count) bytes")

            let clock = ContinuousClock()
            let freed = clock.now
            held[1].close()
            expectAnswer(try await reader.next(within: .seconds(5)), StatusLine.ok, "the 4th connection once a slot was free")
            #expect(clock.now - freed <= .seconds(3), "served \(clock.now - freed) after a slot was freed")
        }
    }

    // MARK: 6. Pipelining in one write

    @Test("100 pipelined GET /healthz in one write get 100 answers, in order, each with its X-Request-ID")
    func pipelinedInOneWrite() async throws {
        try await FrontDoor.with { door in
            let requests = (0..<100).map { "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: req-\($0)\r\n\r\n" }.joined()
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            try await connection.send(requests)
            var ids: [String] = []
            for n in 0..<100 {
                let answer = try await reader.next(within: .seconds(5))
                expectAnswer(answer, StatusLine.ok, "pipelined answer \(n)")
                ids.append(answer.header("X-Request-ID") ?? "-")
            }
            #expect(ids == (0..<100).map { "req-\($0)" })
            #expect(try await reader.staysQuiet(for: .milliseconds(200)), "more answers than requests")
            connection.close()
            try await door.expectHealthy()
        }
    }

    // MARK: 7. Chunked uploads

    @Test("a chunked PUT (extension, trailer) stores the entity; a chunked or Content-Length body over ENRICHER_MAX_BODY_BYTES gets 413 at once")
    func chunkedUploads() async throws {
        try await FrontDoor.with(["ENRICHER_MAX_BODY_BYTES": "1024"]) { door in
            let json = Array(#"{"title": "Dune, chunked", "authors": ["Frank Herbert"], "year": 1965}"#.utf8)
            let pieces = [json[..<10], json[10..<40], json[40...]]
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            try await connection.send("PUT /v1/entities/books/chunky-1 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            for (n, piece) in pieces.enumerated() {
                let sizeLine = String(piece.count, radix: 16) + (n == 1 ? ";note=\"second piece\"" : "") + "\r\n"
                try await connection.send(bytes: Array(sizeLine.utf8) + Array(piece) + Array("\r\n".utf8))
            }
            // The last chunk and trailer, with the next request right behind them in the same write.
            try await connection.send("0\r\nX-Checksum: none\r\n\r\n"
                + "GET /v1/entities/books/chunky-1 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)\r\n")
            let created = try await reader.next(within: .seconds(5))
            expectAnswer(created, StatusLine.created, "the chunked PUT")
            let stored = try await reader.next(within: .seconds(5))
            expectAnswer(stored, StatusLine.ok, "GET of the chunked entity")
            let entity = try stored.json()
            #expect(entity["title"] as? String == "Dune, chunked", "\(stored)")
            #expect(entity["authors"] as? [String] == ["Frank Herbert"], "\(stored)")
            #expect(entity["year"] as? Int == 1965, "\(stored)")
            connection.close()
            try await door.expectHealthy()

            // Chunked, 3 x 400 bytes: the third chunk passes 1024.
            let tooLong = try await RawConnection(port: door.port)
            defer { tooLong.close() }
            let tooLongReader = WireReader(tooLong)
            try await tooLong.send("PUT /v1/entities/books/chunky-2 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = "190\r\n" + String(repeating: " ", count: 400) + "\r\n"
            _ = await tooLong.sendAllowingHangUp(Array((chunk + chunk + chunk).utf8))
            let refused = try await tooLongReader.next(within: .seconds(5))
            expectAnswer(refused, StatusLine.contentTooLarge, "a chunked body over the limit")
            #expect(refused.header("Content-Type") == "application/problem+json", "\(refused)")
            let detail = try refused.json()["detail"] as? String ?? ""
            #expect(detail.contains("1024") && detail.contains("ENRICHER_MAX_BODY_BYTES"), "detail: \(detail)")
            try await tooLongReader.expectClose(within: .seconds(3))
            tooLong.close()
            try await door.expectHealthy()
            let absent = try await door.exchange("GET /v1/entities/books/chunky-2 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)\r\n")
            expectAnswer(absent, StatusLine.notFound, "the refused entity is not stored")

            // Content-Length over the limit: refused from the head alone, no body sent.
            let clock = ContinuousClock()
            let asked = clock.now
            let (declared, declaredReader) = try await door.exchangeKeepingConnection(
                "PUT /v1/entities/books/chunky-3 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n",
                within: .seconds(2))
            expectAnswer(declared, StatusLine.contentTooLarge, "a Content-Length over the limit")
            #expect(clock.now - asked < .seconds(2), "answered after \(clock.now - asked)")
            #expect(declared.header("Content-Type") == "application/problem+json", "\(declared)")
            try await declaredReader.expectClose(within: .seconds(3))
            declaredReader.connection.close()
            try await door.expectHealthy()
        }
    }

    // MARK: 8. Malformed requests

    struct Malformed: CustomStringConvertible, Sendable {
        let description: String
        let request: String
        let statusLine: String
    }

    static let entityHead = "PUT /v1/entities/books/m1 HTTP/1.1\r\nHost: x\r\n\(authorization)Content-Type: application/json\r\n"

    static let malformed: [Malformed] = [
        Malformed(description: "both Content-Length and Transfer-Encoding",
                  request: entityHead + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", statusLine: StatusLine.badRequest),
        Malformed(description: "a chunk size 'zz'",
                  request: entityHead + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", statusLine: StatusLine.badRequest),
        Malformed(description: "two Content-Length that disagree",
                  request: entityHead + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ", statusLine: StatusLine.badRequest),
        Malformed(description: "obsolete line folding",
                  request: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", statusLine: StatusLine.badRequest),
        Malformed(description: "bare LF line endings",
                  request: "GET /healthz HTTP/1.1\nHost: x\n\n", statusLine: StatusLine.badRequest),
        Malformed(description: "a NUL in a header value",
                  request: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\u{0}b\r\n\r\n", statusLine: StatusLine.badRequest),
        Malformed(description: "no Host in HTTP/1.1",
                  request: "GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n", statusLine: StatusLine.badRequest),
        Malformed(description: "Transfer-Encoding: gzip, chunked",
                  request: entityHead + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", statusLine: StatusLine.notImplemented),
        Malformed(description: "HTTP/2.0",
                  request: "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", statusLine: StatusLine.versionNotSupported),
        Malformed(description: "Expect: something-else",
                  request: entityHead + "Content-Length: 2\r\nExpect: something-else\r\n\r\n{}", statusLine: StatusLine.expectationFailed),
    ]

    @Test("a malformed request gets its status and the connection is closed", arguments: malformed)
    func malformedRequest(_ malformed: Malformed) async throws {
        try await FrontDoor.with { door in
            let (answer, reader) = try await door.exchangeKeepingConnection(malformed.request)
            expectAnswer(answer, malformed.statusLine, malformed.description)
            #expect(answer.header("Content-Type") == "application/problem+json", "\(answer)")
            let leftover = try await reader.expectClose(within: .seconds(3))
            #expect(leftover.isEmpty, "bytes after the answer: \(String(decoding: leftover, as: UTF8.self))")
            reader.connection.close()
            try await door.expectHealthy("after \(malformed.description)")
            let stored = try await door.exchange("GET /v1/entities/books/m1 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)\r\n")
            expectAnswer(stored, StatusLine.notFound, "nothing stored after \(malformed.description)")
        }
    }

    @Test("Expect: 100-continue on a PUT gets 100 Continue before the final answer (and none when refused)")
    func expectContinue() async throws {
        try await FrontDoor.with { door in
            let body = #"{"title": "Continued"}"#
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            try await connection.send("PUT /v1/entities/books/cont-1 HTTP/1.1\r\nHost: x\r\n\(Self.authorization)Content-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await reader.next(within: .seconds(2))
            #expect(interim.statusLine == StatusLine.continue, "\(interim)")
            try await connection.send(body)
            expectAnswer(try await reader.next(within: .seconds(5)), StatusLine.created, "the PUT after 100 Continue")
            connection.close()
            try await door.expectHealthy()

            // Without the key: the final 401 straight away, no invitation to send the body.
            let (refused, refusedReader) = try await door.exchangeKeepingConnection(
                "PUT /v1/entities/books/cont-2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            expectAnswer(refused, StatusLine.unauthorized, "a PUT without the key expecting 100-continue")
            refusedReader.connection.close()
            try await door.expectHealthy()
        }
    }

    // MARK: 9. HTTP/1.0 and HEAD

    @Test("HTTP/1.0 without keep-alive is answered with Connection: close and closed; with keep-alive it stays open")
    func http10() async throws {
        try await FrontDoor.with { door in
            let (answer, reader) = try await door.exchangeKeepingConnection("GET /healthz HTTP/1.0\r\n\r\n")
            expectAnswer(answer, StatusLine.ok, "HTTP/1.0 GET /healthz")
            #expect(answer.header("Connection")?.lowercased() == "close", "\(answer)")
            #expect(answer.text.contains("ok"), "\(answer)")
            try await reader.expectClose(within: .seconds(2))
            reader.connection.close()

            let (kept, keptReader) = try await door.exchangeKeepingConnection("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            defer { keptReader.connection.close() }
            expectAnswer(kept, StatusLine.ok, "HTTP/1.0 keep-alive GET /healthz")
            #expect(kept.header("Connection")?.lowercased() == "keep-alive", "\(kept)")
            try await keptReader.connection.send("GET /healthz HTTP/1.0\r\n\r\n")
            expectAnswer(try await keptReader.next(within: Self.promptly), StatusLine.ok, "a second HTTP/1.0 request on the kept connection")
            try await keptReader.expectClose(within: .seconds(2))
            try await door.expectHealthy()
        }
    }

    @Test("HEAD /healthz answers the GET's headers and Content-Length, with no body")
    func head() async throws {
        try await FrontDoor.with { door in
            let get = try await door.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            expectAnswer(get, StatusLine.ok, "GET /healthz")
            let connection = try await RawConnection(port: door.port)
            defer { connection.close() }
            let reader = WireReader(connection)
            // The HEAD, then a GET behind it: the GET's status line must follow the HEAD's headers directly.
            try await connection.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: after-head\r\n\r\n")
            let head = try await reader.next(within: .seconds(2), bodiless: true)
            expectAnswer(head, StatusLine.ok, "HEAD /healthz")
            #expect(head.header("Content-Length") == get.header("Content-Length"), "HEAD \(head) vs GET \(get)")
            #expect(head.header("Content-Type") == get.header("Content-Type"), "HEAD \(head) vs GET \(get)")
            let next = try await reader.next(within: .seconds(2))
            expectAnswer(next, StatusLine.ok, "the GET after the HEAD (a HEAD body would stand in its place)")
            #expect(next.header("X-Request-ID") == "after-head", "\(next)")
            connection.close()
            try await door.expectHealthy()
        }
    }

    // MARK: 10. Request ids

    @Test("every answer carries X-Request-ID; a sane one sent is echoed, an insane one replaced")
    func requestIDs() async throws {
        try await FrontDoor.with { door in
            let sane = try await door.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc-123\r\n\r\n")
            expectAnswer(sane, StatusLine.ok, "a sane id")
            #expect(sane.values("X-Request-ID") == ["abc-123"], "\(sane)")

            let insane = [String(repeating: "a", count: 300), "abc 123", "<script>", "a/b", ""]
            for offered in insane {
                let answer = try await door.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: \(offered)\r\n\r\n")
                expectAnswer(answer, StatusLine.ok, "an insane id \(offered.prefix(20).debugDescription)")
                let ids = answer.values("X-Request-ID")
                #expect(ids.count == 1, "\(answer)")
                let id = ids.first ?? ""
                #expect(id != offered && id != offered.trimmingCharacters(in: .whitespaces), "echoed \(offered.prefix(20).debugDescription)")
                #expect(Self.isSane(id), "generated id \(id.debugDescription)")
            }

            // On errors too, and a new one each time.
            let missing = try await door.exchange("GET /v1/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
            expectAnswer(missing, StatusLine.notFound, "an unknown path")
            let malformed = try await door.exchange("GET /healthz HTTP/1.1\r\n\r\n")
            expectAnswer(malformed, StatusLine.badRequest, "a request without Host")
            let unauthorized = try await door.exchange("GET /v1/config HTTP/1.1\r\nHost: x\r\nX-Request-ID: keyless-1\r\n\r\n")
            expectAnswer(unauthorized, StatusLine.unauthorized, "a request without the key")
            #expect(unauthorized.header("X-Request-ID") == "keyless-1", "\(unauthorized)")
            let generated = [missing, malformed].compactMap { $0.header("X-Request-ID") }
            #expect(generated.count == 2 && Set(generated).count == 2 && generated.allSatisfy(Self.isSane), "\(generated)")
            try await door.expectHealthy()
        }
    }

    static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-_.:".utf8.contains(byte)
        }
    }

    // MARK: 11. Problem bodies

    @Test("refusals are application/problem+json with a detail that says what was wrong and which setting moves the limit")
    func problemBodies() async throws {
        try await FrontDoor.with { door in
            let big = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20_000) + "\r\n\r\n"
            let (tooLarge, tooLargeReader) = try await door.exchangeKeepingConnection(big)
            tooLargeReader.connection.close()
            expectAnswer(tooLarge, StatusLine.headersTooLarge, "a 20 KB header line")
            try Self.expectProblem(tooLarge, status: 431, type: "headers-too-large", detailMentions: ["16384", "ENRICHER_HTTP_MAX_HEADER_BYTES"])
            try await door.expectHealthy()

            let noHost = try await door.exchange("GET /healthz HTTP/1.1\r\n\r\n")
            expectAnswer(noHost, StatusLine.badRequest, "no Host")
            try Self.expectProblem(noHost, status: 400, type: "bad-request", detailMentions: ["Host"])

            let bareLF = try await door.exchange("GET /healthz HTTP/1.1\nHost: x\n\n")
            expectAnswer(bareLF, StatusLine.badRequest, "bare LF")
            try Self.expectProblem(bareLF, status: 400, type: "bad-request", detailMentions: ["LF", "CRLF"])
            try await door.expectHealthy()
        }
    }

    static func expectProblem(_ answer: WireResponse, status: Int, type: String, detailMentions words: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(answer.header("Content-Type") == "application/problem+json", "\(answer)", sourceLocation: sourceLocation)
        #expect(answer.header("Content-Length") == String(answer.body.count), "\(answer)", sourceLocation: sourceLocation)
        let problem = try answer.json()
        #expect(problem["status"] as? Int == status, "\(problem)", sourceLocation: sourceLocation)
        #expect(problem["type"] as? String == "urn:enricher:problem:\(type)", "\(problem)", sourceLocation: sourceLocation)
        #expect((problem["title"] as? String)?.isEmpty == false, "\(problem)", sourceLocation: sourceLocation)
        let detail = problem["detail"] as? String ?? ""
        for word in words {
            #expect(detail.contains(word), "detail \(detail.debugDescription) does not mention \(word)", sourceLocation: sourceLocation)
        }
    }
}

/// Checks an answer's status line, and that it carries an `X-Request-ID` (every answer must).
private func expectAnswer(_ answer: WireResponse, _ statusLine: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.statusLine == statusLine, "\(what): \(answer)", sourceLocation: sourceLocation)
    #expect(answer.header("X-Request-ID")?.isEmpty == false, "\(what): no X-Request-ID: \(answer)", sourceLocation: sourceLocation)
}

/// The real `enricher serve` for one test: its own database and free port, the API key set and scans off.
private struct FrontDoor {
    let process: ServeProcess
    let databaseName: String
    var port: Int { process.port }

    static func with(_ settings: [String: String] = [:], _ body: (FrontDoor) async throws -> Void) async throws {
        let databaseName = TestDatabase.uniqueName("door")
        var environment = [
            "MONGODB_URI": try TestDatabase.uri(),
            "ENRICHER_DATABASE": databaseName,
            "ENRICHER_API_KEYS": TestService.apiKey,
            "ENRICHER_SCAN_SCHEDULE": "off",
            "ENRICHER_DB_STARTUP_TIMEOUT_SECONDS": "20",
        ]
        environment.merge(settings) { $1 }
        let process = try ServeProcess(environment: environment)
        let door = FrontDoor(process: process, databaseName: databaseName)
        func stop() async {
            process.cleanUp()
            try? await TestDatabase.drop(databaseName)
        }
        do {
            try await door.waitUntilReady()
            try await body(door)
        } catch {
            let log = process.logTail(40)
            await stop()
            throw TestFailure("\(error)\n--- enricher serve output ---\n\(log)")
        }
        #expect(process.process.isRunning, "enricher serve exited during the test:\n\(process.logTail(40))")
        await stop()
    }

    /// Waits until `/healthz` answers, over connections that are closed at once (a pooled keep-alive
    /// connection, as URLSession keeps, would hold one of the slots ENRICHER_MAX_CONNECTIONS allows).
    func waitUntilReady() async throws {
        try await waitUntil(deadline: .seconds(30), interval: .milliseconds(20)) {
            guard process.process.isRunning else { throw TestFailure("enricher serve exited with \(process.process.terminationStatus)") }
            let answer = try? await exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(2))
            return answer?.status == 200
        }
    }

    /// Sends `request` on a new connection and reads one answer; the connection is closed afterwards.
    func exchange(_ request: String, within timeout: Duration = .seconds(5)) async throws -> WireResponse {
        let (answer, reader) = try await exchangeKeepingConnection(request, within: timeout)
        reader.connection.close()
        return answer
    }

    /// Sends `request` on a new connection and reads one answer; the caller closes the connection.
    func exchangeKeepingConnection(_ request: String, within timeout: Duration = .seconds(5)) async throws -> (WireResponse, WireReader) {
        let connection = try await RawConnection(port: port)
        let reader = WireReader(connection)
        do {
            // The server may answer and hang up before it has read all of a bad request.
            _ = await connection.sendAllowingHangUp(Array(request.utf8))
            return (try await reader.next(within: timeout), reader)
        } catch {
            connection.close()
            throw error
        }
    }

    /// A plain `GET /healthz` on a new connection is answered 200 within `HTTPFrontDoorTests.promptly`.
    func expectHealthy(_ when: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let answer: WireResponse
        do {
            answer = try await exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", within: HTTPFrontDoorTests.promptly)
        } catch {
            throw TestFailure("GET /healthz on a new connection \(when): \(error)")
        }
        expectAnswer(answer, HTTPFrontDoorTests.StatusLine.ok, "GET /healthz \(when)", sourceLocation: sourceLocation)
        #expect((try? answer.json())?["status"] as? String == "ok", "GET /healthz \(when): \(answer)", sourceLocation: sourceLocation)
        #expect(clock.now - started <= HTTPFrontDoorTests.promptly, "GET /healthz \(when) took \(clock.now - started)", sourceLocation: sourceLocation)
    }

    /// The answer carries none of `GET /v1/config`'s data.
    func expectNoConfig(_ answer: WireResponse, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!answer.text.contains(databaseName) && !answer.text.contains("ENRICHER_DATABASE") && !answer.text.contains(#""config""#),
                "\(what) returned config data: \(answer)", sourceLocation: sourceLocation)
    }
}
