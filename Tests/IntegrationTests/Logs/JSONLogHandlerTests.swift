import EnricherApp
import Foundation
import Logging
import Synchronization
import Testing

/// `ENRICHER_LOG_FORMAT=json`'s handler, fed what a log line can hold: every line parses back to what was logged.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    /// What the handler wrote.
    final class Written: TextOutputStream, Sendable {
        private let text = Mutex("")
        var lines: [String] { text.withLock { $0.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) } }
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    static func logger(_ written: Written, label: String = "enricher") -> Logger {
        Logger(label: label) { JSONLogHandler(label: $0, stream: written) }
    }

    static func parse(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }

    @Test("a line holds timestamp, level, label, message, source and nested metadata, every string escaped")
    func fields() throws {
        let written = Written()
        var logger = Self.logger(written)
        logger[metadataKey: "requestId"] = "r-1"
        let message = "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7F} separator \u{2028} accents é ✓ 📚"
        logger.notice("\(message)", metadata: [
            "provider": "musicbrainz",
            "count": .stringConvertible(3),
            "answers": .array(["openlibrary: not found", .dictionary(["upcitemdb": "throttled \"retry after 2 s\"\r\n"])]),
        ])
        let lines = written.lines
        try #require(lines.count == 1, "one event, one line: \(lines)")
        let object = try Self.parse(lines[0])
        #expect(object["message"] as? String == message)
        #expect(object["level"] as? String == "notice")
        #expect(object["label"] as? String == "enricher")
        #expect(object["source"] as? String == "IntegrationTests")
        let timestamp = try #require(object["timestamp"] as? String)
        let date = try #require(ISO8601DateFormatter.withFractionalSeconds.date(from: timestamp), "timestamp \(timestamp)")
        #expect(abs(date.timeIntervalSinceNow) < 60)
        #expect(timestamp.hasSuffix("Z"), "UTC: \(timestamp)")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["requestId"] as? String == "r-1")
        #expect(metadata["provider"] as? String == "musicbrainz")
        #expect(metadata["count"] as? String == "3")
        let answers = try #require(metadata["answers"] as? [Any])
        #expect(answers.first as? String == "openlibrary: not found")
        #expect((answers.last as? [String: String])?["upcitemdb"] == "throttled \"retry after 2 s\"\r\n")
        // Control characters never appear raw: a line reader sees one line.
        #expect(!lines[0].unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test("levels below the handler's are dropped; an event's error is its own field")
    func levelsAndErrors() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused \"now\"" } }
        let written = Written()
        var logger = Self.logger(written)
        logger.logLevel = .notice
        logger.info("not written")
        logger.warning("written", error: Refused())
        let lines = written.lines
        try #require(lines.count == 1, "\(lines)")
        let object = try Self.parse(lines[0])
        #expect(object["message"] as? String == "written")
        #expect(object["error"] as? String == "refused \"now\"")
        #expect((object["metadata"] as? [String: Any])?.isEmpty == true)
    }
}
