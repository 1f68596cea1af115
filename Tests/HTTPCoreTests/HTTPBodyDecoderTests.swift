import Testing
@testable import HTTPCore

/// The body decoder on its own: it never takes bytes past its message, takes every byte while it
/// needs more, and refuses an oversized body before reading it.
@Suite struct HTTPBodyDecoderTests {
    private func decode(_ decoder: inout HTTPBodyDecoder, _ input: [UInt8], _ body: inout [UInt8]) -> (Int, HTTPBodyDecoder.Result) {
        input.withUnsafeBytes { decoder.decode($0, into: &body) }
    }

    @Test func contentLengthStopsAtItsLength() throws {
        var decoder = try HTTPBodyDecoder(framing: .contentLength(3), limits: HTTPLimits())
        var body: [UInt8] = []
        let first = decode(&decoder, bytes("ab"), &body)
        #expect(first.0 == 2 && first.1 == .needMore)
        let second = decode(&decoder, bytes("cGET /"), &body)
        #expect(second.0 == 1 && second.1 == .complete)
        #expect(body == bytes("abc"))
        #expect(decoder.isComplete)
        let after = decode(&decoder, bytes("more"), &body)
        #expect(after.0 == 0 && after.1 == .complete)
    }

    @Test func noBodyIsCompleteAtOnce() throws {
        for framing in [BodyFraming.none, .contentLength(0)] {
            var decoder = try HTTPBodyDecoder(framing: framing, limits: HTTPLimits())
            var body: [UInt8] = []
            let result = decode(&decoder, bytes("GET"), &body)
            #expect(result.0 == 0 && result.1 == .complete)
        }
    }

    @Test func oversizedContentLengthIsRefusedUpFront() {
        #expect(throws: HTTPParseError(status: .contentTooLarge, detail: "the body exceeds 10 bytes")) {
            _ = try HTTPBodyDecoder(framing: .contentLength(11), limits: HTTPLimits(maxBodyBytes: 10))
        }
        #expect(throws: HTTPParseError.self) {
            _ = try HTTPBodyDecoder(framing: .contentLength(Int.max), limits: HTTPLimits())
        }
    }

    @Test func chunkedTakesEveryByteUntilTheEndAndNoMore() throws {
        let message = bytes("4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n")
        let input = message + bytes("GET / HTTP/1.1\r\n")
        var decoder = try HTTPBodyDecoder(framing: .chunked, limits: HTTPLimits())
        var body: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let (consumed, result) = decode(&decoder, [input[offset]], &body)
            offset += consumed
            if result == .complete { break }
            #expect(result == .needMore && consumed == 1)
        }
        #expect(offset == message.count)
        #expect(body == bytes("Wikipedia"))
        #expect(decoder.bytesExamined == message.count)
    }

    @Test func chunkedBodyIsRefusedOnTheSizeLineThatBreaksTheLimit() throws {
        var decoder = try HTTPBodyDecoder(framing: .chunked, limits: HTTPLimits(maxBodyBytes: 8))
        var body: [UInt8] = []
        let (_, result) = decode(&decoder, bytes("5\r\nhello\r\n4\r\n"), &body)
        #expect(result == .failure(HTTPParseError(status: .contentTooLarge, detail: "the body exceeds 8 bytes")))
        #expect(body == bytes("hello"))
    }
}
