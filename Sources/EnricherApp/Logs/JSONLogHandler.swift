import Foundation
import Logging

/// Writes each log event as one JSON object on one line (`ENRICHER_LOG_FORMAT=json`), for collectors that
/// parse lines: `timestamp` (UTC, milliseconds), `level`, `label`, `message`, `source`, `metadata` (nested as
/// the logger gave it; strings stay strings) and `error` when the event carries one. Every string is escaped,
/// so a message or value holding quotes, newlines or control characters never breaks the line.
public struct JSONLogHandler: LogHandler {
    private let label: String
    private let stream: any TextOutputStream & Sendable
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, stream: any TextOutputStream & Sendable, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.stream = stream
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        // Written field by field, so that every line reads in the same order, timestamp first.
        var line = "{\"timestamp\":" + Self.json(Self.timestamp()) + ",\"level\":" + Self.json(event.level.rawValue)
            + ",\"label\":" + Self.json(label) + ",\"message\":" + Self.json("\(event.message)") + ",\"source\":" + Self.json(event.source)
        if let error = event.error { line += ",\"error\":" + Self.json("\(error)") }
        line += ",\"metadata\":" + Self.json(Self.plain(.dictionary(merged))) + "}\n"
        var stream = self.stream
        stream.write(line)
    }

    /// A metadata value as plain JSON values: strings (and anything printable) as strings, arrays and
    /// dictionaries nested.
    static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(plain)
        case .dictionary(let entries): entries.mapValues(plain)
        }
    }

    /// A value as JSON text. Foundation's writer escapes quotes, backslashes and every control character
    /// (RFC 8259); keys are sorted, so equal events give equal lines.
    static func json(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else {
            return "null"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Now in UTC with milliseconds: `2026-11-30T08:39:05.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-" + padded(Int(parts.tm_mday), 2)
            + "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2)
            + "." + padded(Int(now.tv_nsec) / 1_000_000, 3) + "Z"
    }
}
