import Testing
@testable import HTTPCore

/// Everything observable about reading one request, so feeding the same bytes in different pieces can
/// be compared with `==`.
struct Outcome: Equatable, CustomStringConvertible {
    struct Field: Equatable {
        var name: String
        var value: String
    }

    enum End: Equatable {
        case complete
        case incomplete
        case failed(HTTPParseError)
    }

    var end = End.incomplete
    var method: String?
    var target: String?
    var version: HTTPVersion?
    var headers: [Field] = []
    var framing: BodyFraming?
    var keepAlive: Bool?
    var expectsContinue: Bool?
    /// Head plus body bytes taken, when the request completed.
    var consumed = 0
    var body: [UInt8] = []

    var status: Int? {
        if case .failed(let error) = end { error.status.code } else { nil }
    }

    var description: String {
        "\(end) \(method ?? "-") \(target ?? "-") \(String(describing: version)) \(headers.map { "\($0.name): \($0.value)" }) "
            + "\(String(describing: framing)) keepAlive=\(String(describing: keepAlive)) "
            + "continue=\(String(describing: expectsContinue)) consumed=\(consumed) body=\(body.count)B"
    }
}

/// Drives a head parser and then a body decoder the way a connection would, over given pieces.
enum RequestFeeder {
    /// Feeds `input` cut at `cuts` (ascending offsets strictly inside the input).
    static func run(_ input: [UInt8], cuts: [Int], limits: HTTPLimits) -> Outcome {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for cut in cuts + [input.count] where cut > start {
            pieces.append(input[start..<cut])
            start = cut
        }
        return run(pieces: pieces, limits: limits)
    }

    static func whole(_ input: [UInt8], limits: HTTPLimits) -> Outcome {
        run(input, cuts: [], limits: limits)
    }

    static func byteByByte(_ input: [UInt8], limits: HTTPLimits) -> Outcome {
        run(input, cuts: Array(input.indices.dropFirst()), limits: limits)
    }

    static func run(pieces: [ArraySlice<UInt8>], limits: HTTPLimits) -> Outcome {
        var outcome = Outcome()
        var parser = HTTPRequestHeadParser(limits: limits)
        var received: [UInt8] = []
        var decoder: HTTPBodyDecoder?
        var pending: [UInt8] = []
        for piece in pieces {
            if var bodyDecoder = decoder {
                pending += piece
                if let end = decode(&bodyDecoder, &pending, &outcome) { outcome.end = end; return outcome }
                decoder = bodyDecoder
                continue
            }
            received += piece
            switch received.withUnsafeBytes({ parser.parse($0) }) {
            case .needMore:
                continue
            case .failure(let error):
                outcome.end = .failed(error)
                return outcome
            case .complete(let head, let consumed):
                outcome.method = head.method.rawValue
                outcome.target = head.target
                outcome.version = head.version
                outcome.headers = head.headers.map { Outcome.Field(name: $0.name, value: $0.value) }
                outcome.framing = head.framing
                outcome.keepAlive = head.keepAlive
                outcome.expectsContinue = head.expectsContinue
                outcome.consumed = consumed
                var bodyDecoder: HTTPBodyDecoder
                do {
                    bodyDecoder = try HTTPBodyDecoder(framing: head.framing, limits: limits)
                } catch {
                    outcome.end = .failed(error)
                    return outcome
                }
                pending = Array(received[consumed...])
                if let end = decode(&bodyDecoder, &pending, &outcome) { outcome.end = end; return outcome }
                decoder = bodyDecoder
            }
        }
        return outcome
    }

    private static func decode(_ decoder: inout HTTPBodyDecoder, _ pending: inout [UInt8], _ outcome: inout Outcome) -> Outcome.End? {
        let (consumed, result) = pending.withUnsafeBytes { decoder.decode($0, into: &outcome.body) }
        #expect(consumed <= pending.count)
        pending.removeFirst(min(consumed, pending.count))
        outcome.consumed += consumed
        switch result {
        case .needMore:
            #expect(pending.isEmpty, "needMore must consume every byte")
            return nil
        case .complete:
            return .complete
        case .failure(let error):
            return .failed(error)
        }
    }

    /// Requires the same outcome for `input` whole, cut once at every boundary, and one byte at a time.
    static func expectSplitInvariant(_ input: [UInt8], limits: HTTPLimits, _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        let whole = whole(input, limits: limits)
        // Long inputs are cut at a stride, so the quadratic sweep stays fast in debug builds.
        let step = max(1, input.count / 2048)
        for cut in stride(from: 1, to: input.count, by: step) {
            let split = run(input, cuts: [cut], limits: limits)
            guard split == whole else {
                Issue.record("cut at \(cut): \(split) != whole: \(whole) \(comment())", sourceLocation: sourceLocation)
                return
            }
        }
        let bytewise = byteByByte(input, limits: limits)
        #expect(bytewise == whole, "one byte at a time \(comment())", sourceLocation: sourceLocation)
    }
}

/// The UTF-8 bytes of `text` (write CRLF as `\r\n`).
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
