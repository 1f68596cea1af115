import Foundation

/// A client of the service's `text/event-stream` responses over a raw connection, as a `fetch()` reader
/// sees them: the head, then the chunked body decoded as it arrives and read as server-sent events, one
/// at a time, so a test can stop reading (and hang up) in the middle.
final class EventStreamClient: @unchecked Sendable {
    // @unchecked Sendable: the buffers are touched only by the one task reading the stream.

    /// One thing read off the stream.
    enum Item: Equatable, CustomStringConvertible {
        case message(ServerSentMessage)
        /// A comment line (`: heartbeat`), without the colon and the space.
        case comment(String)
        /// The chunked body ended (its last chunk came).
        case end

        var description: String {
            switch self {
            case .message(let message): "\(message)"
            case .comment(let text): ": \(text)"
            case .end: "(end)"
            }
        }
    }

    let connection: RawConnection
    let status: Int
    let headers: [String: String]
    private var raw: [UInt8]
    /// The decoded body not yet read as lines.
    private var body: [UInt8] = []
    private var ended = false
    private var message = ServerSentMessage()

    private init(connection: RawConnection, status: Int, headers: [String: String], rest: [UInt8]) {
        self.connection = connection
        self.status = status
        self.headers = headers
        raw = rest
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Sends `GET path` with the key (and `headers`) and reads the response head.
    static func open(port: Int, _ path: String, apiKey: String? = TestService.apiKey, headers: [(String, String)] = [],
                     method: String = "GET") async throws -> EventStreamClient {
        let connection = try await RawConnection(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let apiKey { request += "Authorization: Bearer \(apiKey)\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try await connection.send(request + "\r\n")
        var received: [UInt8] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(10)
        while true {
            if let split = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: received, from: 0) {
                let lines = String(decoding: received[..<split], as: UTF8.self).components(separatedBy: "\r\n")
                guard let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") else {
                    throw TestFailure("not a status line: \(lines[0])")
                }
                var fields: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return EventStreamClient(connection: connection, status: status, headers: fields, rest: Array(received[(split + 4)...]))
            }
            guard clock.now < end else {
                connection.close()
                throw TestFailure("no response head to GET \(path) within 10 s; had \(received.count) bytes")
            }
            switch try await connection.receive(timeout: .milliseconds(200)) {
            case .bytes(let bytes): received += bytes
            case .closed:
                connection.close()
                throw TestFailure("the connection closed before a response head to GET \(path)")
            case .nothingWithin: continue
            }
        }
    }

    /// The whole body of a response that is not a stream (a problem, a 204), read until its end.
    func problem(within timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        guard let length = header("Content-Length").flatMap(Int.init) else { throw TestFailure("no Content-Length: \(headers)") }
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while raw.count < length, clock.now < end {
            if case .bytes(let bytes) = try await connection.receive(timeout: .milliseconds(200)) { raw += bytes }
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(raw.prefix(length))) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: raw, as: UTF8.self))")
        }
        return object
    }

    /// The next message, comment or the end, waiting up to `timeout` for it.
    func next(within timeout: Duration) async throws -> Item {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while true {
            if let item = try nextItem() { return item }
            let left = end - clock.now
            guard left > .zero else { throw TestFailure("nothing more on the stream within \(timeout)") }
            switch try await connection.receive(timeout: min(left, .milliseconds(200))) {
            case .bytes(let bytes):
                raw += bytes
                try dechunk()
            case .closed: throw TestFailure("the connection closed without ending the chunked body")
            case .nothingWithin: continue
            }
        }
    }

    /// Reads until `stop` says so (true: stop after this item), or the stream ends; returns what came.
    func read(within timeout: Duration, until stop: (Item) -> Bool) async throws -> [Item] {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        var items: [Item] = []
        while true {
            let item = try await next(within: end - clock.now)
            items.append(item)
            if item == .end || stop(item) { return items }
        }
    }

    /// Hangs up.
    func close() { connection.close() }

    /// Moves whole chunks from `raw` into `body`.
    private func dechunk() throws {
        while !ended {
            guard let lineEnd = Self.find([0x0D, 0x0A], in: raw, from: 0) else { return }
            let line = String(decoding: raw[..<lineEnd], as: UTF8.self)
            guard let size = Int(line, radix: 16) else { throw TestFailure("bad chunk size line: \(line.debugDescription)") }
            if size == 0 {
                guard raw.count >= lineEnd + 4 else { return }
                raw.removeFirst(lineEnd + 4)
                ended = true
                return
            }
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    /// The next item from the decoded body, if it is all there.
    private func nextItem() throws -> Item? {
        while let newline = body.firstIndex(of: 0x0A) {
            let line = String(decoding: body[..<newline], as: UTF8.self)
            body.removeFirst(newline + 1)
            if line.isEmpty {
                guard message != ServerSentMessage() else { continue }
                defer { message = ServerSentMessage() }
                return .message(message)
            }
            if line.hasPrefix(":") {
                return .comment(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
            }
            let (field, value) = line.firstIndex(of: ":").map { (String(line[..<$0]), String(line[line.index(after: $0)...].drop { $0 == " " })) }
                ?? (line, "")
            switch field {
            case "event": message.event = value
            case "id": message.id = value
            case "data": message.data = message.data.map { $0 + "\n" + value } ?? value
            default: throw TestFailure("unexpected field \(field.debugDescription) in \(line.debugDescription)")
            }
        }
        if ended {
            guard body.isEmpty, message == ServerSentMessage() else { throw TestFailure("the body ended in the middle of a message") }
            return .end
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in buffer: [UInt8], from offset: Int) -> Int? {
        guard buffer.count - offset >= needle.count else { return nil }
        for index in offset...(buffer.count - needle.count) where buffer[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

/// One server-sent event as a reader assembles it.
struct ServerSentMessage: Equatable, CustomStringConvertible {
    var event: String?
    var id: String?
    var data: String?

    /// The data as a JSON object.
    func json() throws -> [String: Any] {
        guard let data, let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
            throw TestFailure("data is not a JSON object: \(self)")
        }
        return object
    }

    var description: String { "event: \(event ?? "-") id: \(id ?? "-") data: \(data?.prefix(200) ?? "-")" }
}
