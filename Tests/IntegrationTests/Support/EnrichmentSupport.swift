import Crypto
import EnricherCore
import Foundation
import Testing

/// Valid identifiers for test data: the check digits are right, so the entity API accepts them.
enum Identifiers {
    /// `body` followed by its GS1 mod-10 check digit (ISBN-13, UPC-A, EAN-13 all use it).
    static func gtin(body: String) -> String {
        let digits = body.compactMap(\.wholeNumberValue)
        let sum = digits.reversed().enumerated().reduce(0) { $0 + $1.element * ($1.offset.isMultiple(of: 2) ? 3 : 1) }
        return body + String((10 - sum % 10) % 10)
    }

    /// A valid ISBN-13 (978 prefix) derived from `seed`.
    static func isbn13(_ seed: Int) -> String { gtin(body: String(format: "978%09d", seed)) }

    /// A valid UPC-A (12 digits) derived from `seed`.
    static func upcA(_ seed: Int, prefix: Int = 0) -> String { gtin(body: String(format: "%d%010d", prefix, seed)) }

    /// A valid EAN-13 derived from `seed`.
    static func ean13(_ seed: Int) -> String { Barcodes.ean13(seed) }
}

/// Lowercase hex SHA-256, as image ids and ETags carry it.
func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// A job as `GET /v1/enrichments/{id}` shows it.
// @unchecked Sendable: `json` is parsed once and never mutated.
struct JobSnapshot: CustomStringConvertible, @unchecked Sendable {
    let json: [String: Any]

    var status: String? { json["status"] as? String }
    var total: Int? { json["total"] as? Int }
    var percent: Int? { json["percent"] as? Int }
    var counts: [String: Int] { json["counts"] as? [String: Int] ?? [:] }
    var queued: Int { counts["queued"] ?? -1 }
    var finished: Int { counts.filter { $0.key != "queued" }.values.reduce(0, +) }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }

    var description: String {
        let counts = counts.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "status=\(status ?? "?") total=\(total.map(String.init) ?? "?") percent=\(percent.map(String.init) ?? "?") counts[\(counts)]"
    }
}

extension TestClient {
    /// `GET /v1/enrichments/{id}` (with `query`, e.g. `?limit=500`), failing on anything but 200.
    func job(_ id: String, _ query: String = "") async throws -> JobSnapshot {
        let response = try await get("/v1/enrichments/\(id)\(query)")
        guard response.status == 200 else { throw TestFailure("GET /v1/enrichments/\(id)\(query): \(response.status) \(response.text)") }
        return JobSnapshot(json: try response.json)
    }
}

/// The fake whose image host serves a cover `coverImage.provider` names.
extension FakeProvider.Kind {
    init?(provider: String) {
        switch provider {
        case "openlibrary": self = .openLibrary
        case "googlebooks": self = .googleBooks
        case "upcitemdb": self = .upcItemDB
        case "tmdb": self = .tmdb
        case "giantbomb": self = .giantBomb
        case "igdb": self = .igdb
        case "musicbrainz": self = .musicBrainz
        default: return nil
        }
    }
}

extension FakeProvider {
    /// The bytes this fake serves for an image path nobody registered (FakeWorld sets one per fake).
    var defaultImageBytes: Data { image(at: "/img/unregistered.example/cover.jpg").bytes }
}

/// One HTTP exchange on its own connection, read byte for byte until the server closes it, for
/// what URLSession hides: whether a HEAD or 304 answer really carries no body.
struct RawAnswer: CustomStringConvertible {
    var status: Int
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var description: String { "\(status) \(headers) body(\(body.utf8.count) bytes)" }

    static func exchange(port: Int, _ method: String, _ path: String, headers: [String: String] = [:]) async throws -> RawAnswer {
        let connection = try await RawConnection(port: port)
        defer { connection.close() }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try await connection.send(request + "\r\n")
        var received = ""
        let clock = ContinuousClock()
        let end = clock.now + .seconds(10)
        reading: while clock.now < end {
            switch try await connection.read(timeout: .milliseconds(500)) {
            case .data(let text): received += text
            case .closed: break reading
            case .nothingWithin: continue
            }
        }
        guard let split = received.range(of: "\r\n\r\n") else { throw TestFailure("no complete answer to \(method) \(path): \(received)") }
        let head = received[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw TestFailure("bad status line: \(received)")
        }
        var parsed: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawAnswer(status: status, headers: parsed, body: String(received[split.upperBound...]))
    }
}

/// The built `enricher serve` as a child process, as an operator runs it, with everything it prints
/// kept in a file for failure messages.
final class ServeProcess: @unchecked Sendable {
    // @unchecked Sendable: every property is set once in init; Process is used only for its pid and state.
    let process: Process
    let port: Int
    let client: TestClient
    private let logURL: URL

    init(environment: [String: String]) throws {
        port = try FreePort.find()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("enricher-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["serve"]
        var environment = environment
        environment["ENRICHER_HOST"] = "127.0.0.1"
        environment["ENRICHER_PORT"] = String(port)
        environment["PATH"] = "/usr/bin:/bin"
        process.environment = environment
        // A file, not a pipe: nobody has to drain it for the server to keep running.
        process.standardOutput = log
        process.standardError = log
        try process.run()
        client = TestClient(port: port, apiKey: TestService.apiKey)
    }

    /// Everything the process printed so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The last lines the process printed.
    func logTail(_ count: Int = 30) -> String {
        log.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    /// Waits until `/healthz` answers.
    func waitUntilReady(deadline: Duration = .seconds(30)) async throws {
        do {
            try await waitUntil(deadline: deadline) {
                guard self.process.isRunning else {
                    throw TestFailure("enricher serve exited with \(self.process.terminationStatus) before answering:\n\(self.logTail())")
                }
                return (try? await self.client.send("GET", "/healthz", auth: .none).status) == 200
            }
        } catch let failure as TestFailure {
            throw TestFailure("\(failure)\n--- enricher serve output ---\n\(logTail())")
        }
    }

    /// SIGKILL: no shutdown code runs; work in hand is left as a crash leaves it.
    func killHard() async throws {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        try await waitUntil(deadline: .seconds(10)) { !self.process.isRunning }
    }

    /// Kills the process if it still runs and removes its log: for `defer`.
    func cleanUp() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }
}
