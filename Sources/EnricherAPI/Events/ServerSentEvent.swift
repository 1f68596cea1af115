import Foundation

/// One message of a `text/event-stream` (the WHATWG HTML standard, "Server-sent events"), as bytes.
struct ServerSentEvent: Sendable, Equatable {
    var event: String
    var id: Int64?
    var data: String

    /// `event:`, `id:` and one `data:` line per line of `data` (a reader joins them with newlines again),
    /// then the empty line that ends the message.
    var bytes: [UInt8] {
        var text = "event: \(event)\n"
        if let id { text += "id: \(id)\n" }
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            text += "data: \(line)\n"
        }
        return Array((text + "\n").utf8)
    }

    /// A comment line: readers ignore it; it shows the stream is alive.
    static let heartbeat = Array(": heartbeat\n\n".utf8)
}

/// A stream's `Last-Event-ID`: the decimal number of the last event the client received.
enum LastEventID {
    /// Cursors are `event_log` numbers, which fit in 63 bits: at most 19 digits.
    static let maxDigits = 19

    /// The cursor, nil when the header is absent; a problem when it is anything but one to 19 ASCII digits.
    static func parse(_ values: [String]) throws(Problem) -> Int64? {
        guard let value = values.first else { return nil }
        guard values.count == 1 else {
            throw Problem(.badRequest, detail: "send one Last-Event-ID header, not \(values.count)")
        }
        let digits = value.utf8
        guard (1...maxDigits).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let cursor = Int64(value) else {
            let shown = value.utf8.count > 40 ? String(decoding: value.utf8.prefix(40), as: UTF8.self) + "..." : value
            throw Problem(.badRequest, detail: "Last-Event-ID must be the id: of an event this service sent (1 to \(maxDigits) digits), got '\(shown)'")
        }
        return cursor
    }
}
