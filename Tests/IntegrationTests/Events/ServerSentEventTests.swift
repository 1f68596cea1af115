@testable import EnricherAPI
import Testing

/// The bytes of a message and the reading of `Last-Event-ID`, without a server.
@Suite("Server-sent event format")
struct ServerSentEventTests {
    @Test("a message is event, id, one data line per line of its data, and an empty line")
    func framing() {
        let message = ServerSentEvent(event: "enrichment.entity.completed", id: 42, data: "{\"a\":1}")
        #expect(String(decoding: message.bytes, as: UTF8.self) == "event: enrichment.entity.completed\nid: 42\ndata: {\"a\":1}\n\n")
        // Data with line breaks of any kind must not end the message early or smuggle in a field.
        let split = ServerSentEvent(event: "progress", id: nil, data: "a\nid: 7\r\nb\rc\n")
        #expect(String(decoding: split.bytes, as: UTF8.self) == "event: progress\ndata: a\ndata: id: 7\ndata: b\ndata: c\ndata: \n\n")
        #expect(String(decoding: ServerSentEvent.heartbeat, as: UTF8.self) == ": heartbeat\n\n")
    }

    @Test("Last-Event-ID is one header of 1 to 19 ASCII digits that fits in 63 bits", arguments: [
        (["0"], Int64(0) as Int64?), (["1041"], 1041), (["0007"], 7), (["9223372036854775807"], Int64.max), ([], nil),
    ] as [([String], Int64?)])
    func accepted(_ values: [String], _ expected: Int64?) throws {
        #expect(try LastEventID.parse(values) == expected)
    }

    @Test("anything else is a 400 problem", arguments: [
        [""], ["-1"], ["+1"], [" 1"], ["1 "], ["1e3"], ["0x1f"], ["\u{0661}"], ["9223372036854775808"], ["12345678901234567890"],
        [String(repeating: "9", count: 5000)], ["1", "2"], ["1", "1"],
    ])
    func refused(_ values: [String]) {
        #expect(throws: Problem.self) { try LastEventID.parse(values) }
        do { _ = try LastEventID.parse(values) } catch {
            #expect(error.status == 400)
            #expect(error.detail.utf8.count < 300, "the detail quotes a long value cut short: \(error.detail.utf8.count) bytes")
        }
    }
}
