import SeededRandom
@testable import HTTPCore

/// Builds random valid requests together with what parsing them must produce, and breaks some of them,
/// for the property test.
struct RequestGenerator {
    struct Generated {
        var bytes: [UInt8]
        /// The outcome reading `bytes` must have; nil once the bytes were mutated.
        var expected: Outcome?
    }

    var random: SplitMix64

    private static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    private static let tokenBytes = Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    private static let targetBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?".utf8)
    private static let hexBytes = Array("0123456789abcdefABCDEF".utf8)

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    private mutating func token(_ length: ClosedRange<Int>) -> [UInt8] {
        (0..<int(length)).map { _ in pick(Self.tokenBytes) }
    }

    private mutating func target() -> [UInt8] {
        var target: [UInt8] = [UInt8(ascii: "/")]
        for _ in 0..<int(0...40) {
            if chance(0.1) {
                target += [UInt8(ascii: "%"), pick(Self.hexBytes), pick(Self.hexBytes)]
            } else {
                target.append(pick(Self.targetBytes))
            }
        }
        return target
    }

    /// A field value without OWS at either end: VCHAR and obs-text, with SP and HTAB inside.
    private mutating func fieldValue() -> [UInt8] {
        var value: [UInt8] = []
        for _ in 0..<int(0...30) {
            switch int(0...9) {
            case 0: value.append(pick([0x20, 0x09]))
            case 1: value.append(UInt8(int(0x80...0xFF)))
            default: value.append(UInt8(int(0x21...0x7E)))
            }
        }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        return value
    }

    private mutating func ows() -> [UInt8] {
        (0..<int(0...2)).map { _ in pick([0x20, 0x09]) }
    }

    private mutating func randomCase(_ text: String) -> [UInt8] {
        text.utf8.map { b in (0x61...0x7A).contains(b) && chance(0.3) ? b - 0x20 : b }
    }

    mutating func valid() -> Generated {
        var out = Outcome()
        var head: [UInt8] = []
        for _ in 0..<(chance(0.1) ? int(1...2) : 0) { head += bytes("\r\n") }

        let method = chance(0.8) ? bytes(pick(Self.methods)) : token(1...10)
        let target = method == bytes("OPTIONS") && chance(0.3) ? bytes("*") : target()
        let version: HTTPVersion = chance(0.8) ? .http1_1 : .http1_0
        head += method + [0x20] + target + [0x20] + bytes(version.text) + bytes("\r\n")
        out.method = String(decoding: method, as: UTF8.self)
        out.target = String(decoding: target, as: UTF8.self)
        out.version = version

        // The fields, then the framing and hot fields inserted at random places among them.
        var fields: [(name: [UInt8], value: [UInt8])] = []
        for _ in 0..<int(0...8) { fields.append((bytes("X-") + token(1...12), fieldValue())) }
        func insert(_ field: (name: [UInt8], value: [UInt8]), _ g: inout RequestGenerator) {
            fields.insert(field, at: g.int(0...fields.count))
        }
        if version == .http1_1 || chance(0.5) { insert((randomCase("host"), bytes(chance(0.5) ? "example.com:8080" : "a")), &self) }

        var body: [UInt8] = (0..<int(0...200)).map { _ in UInt8(int(0...255)) }
        var encodedBody: [UInt8] = []
        switch version == .http1_1 ? int(0...2) : int(0...1) {
        case 0:
            body = []
            out.framing = BodyFraming.none
        case 1:
            out.framing = .contentLength(body.count)
            let n = bytes(String(body.count))
            insert((randomCase("content-length"), chance(0.2) ? n + bytes(" , ") + n : n), &self)
            if chance(0.1) { insert((bytes("Content-Length"), n), &self) }
            encodedBody = body
        default:
            out.framing = .chunked
            insert((randomCase("transfer-encoding"), randomCase("chunked")), &self)
            encodedBody = chunked(body)
        }
        let hasBody = !body.isEmpty || out.framing == .chunked
        var close = false, keepAlive = false, expectContinue = false
        if chance(0.3) {
            var tokens: [[UInt8]] = []
            for _ in 0..<int(1...3) {
                let t = pick(["close", "keep-alive", "upgrade", "x-foo"])
                close = close || t == "close"
                keepAlive = keepAlive || t == "keep-alive"
                tokens.append(randomCase(t))
            }
            insert((randomCase("connection"), Array(tokens.joined(separator: bytes(", ")))), &self)
        }
        if chance(0.15) {
            expectContinue = true
            insert((randomCase("expect"), randomCase("100-continue")), &self)
        }
        out.keepAlive = version == .http1_1 ? !close : keepAlive && !close
        out.expectsContinue = expectContinue && version == .http1_1 && hasBody

        for field in fields {
            head += field.name + [UInt8(ascii: ":")] + ows() + field.value + ows() + bytes("\r\n")
            out.headers.append(Outcome.Field(name: String(decoding: field.name, as: UTF8.self), value: String(decoding: field.value, as: UTF8.self)))
        }
        head += bytes("\r\n")
        var all = head + encodedBody
        out.consumed = all.count
        out.body = body
        out.end = .complete
        if chance(0.2) { all += bytes("GET /next HTTP/1.1\r\nHost: a\r\n\r\n") }
        return Generated(bytes: all, expected: out)
    }

    /// `body` in random chunks, with random size spellings, extensions and trailers.
    private mutating func chunked(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = body[...]
        while !rest.isEmpty {
            let n = min(rest.count, int(1...80))
            let hex = String(n, radix: 16, uppercase: chance(0.5))
            out += bytes(String(repeating: "0", count: chance(0.1) ? int(1...3) : 0) + hex)
            if chance(0.2) { out += bytes(";") + token(1...6) + (chance(0.5) ? bytes("=\"v w\"") : []) }
            out += bytes("\r\n") + rest.prefix(n) + bytes("\r\n")
            rest = rest.dropFirst(n)
        }
        out += bytes("0\r\n")
        for _ in 0..<(chance(0.3) ? int(1...3) : 0) { out += token(1...8) + bytes(":") + ows() + fieldValue() + bytes("\r\n") }
        return out + bytes("\r\n")
    }

    /// Breaks `bytes` in one to three ways; the result may still happen to be valid.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<int(1...3) {
            guard !bytes.isEmpty else { break }
            let at = int(0...(bytes.count - 1))
            switch int(0...7) {
            case 0: bytes[at] = UInt8(int(0...255))
            case 1: bytes.insert(pick([0x0D, 0x0A, 0x00, 0x20, 0x3A, 0x09, 0x7F, 0xFF]), at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes.removeSubrange(at...)
            case 4:
                // Duplicate a whole line.
                let start = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                if let end = bytes[at...].firstIndex(of: 0x0A) { bytes.insert(contentsOf: bytes[start...end], at: end + 1) }
            case 5:
                let huge = HTTPCoreTests.bytes(String(repeating: "9", count: int(19...40)))
                if let line = bytes.firstIndex(of: 0x0A) {
                    bytes.insert(contentsOf: HTTPCoreTests.bytes("Content-Length: ") + huge + HTTPCoreTests.bytes("\r\n"), at: line + 1)
                }
            case 6:
                let hex = String(repeating: "f", count: int(15...20))
                bytes.insert(contentsOf: HTTPCoreTests.bytes(hex), at: at)
            default:
                bytes.insert(contentsOf: HTTPCoreTests.bytes(pick(["\r\n", "\r\n\r\n", ": ", " ", "\r\nTransfer-Encoding: chunked\r\n"])), at: at)
            }
        }
        return bytes
    }

    /// Random cut points, from one-byte pieces to whole.
    mutating func cuts(_ count: Int) -> [Int] {
        guard count > 1 else { return [] }
        let maxPiece = pick([1, 2, 7, 64, count])
        var cuts: [Int] = []
        var at = 0
        while true {
            at += int(1...maxPiece)
            if at >= count { return cuts }
            cuts.append(at)
        }
    }
}
