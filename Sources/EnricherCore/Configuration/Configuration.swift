import Foundation

/// Enricher's settings, read once at start-up from the environment and an optional JSON file.
public struct Configuration: Sendable {
    public struct HTTP: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var readTimeout: Duration
        public var headerTimeout: Duration
        public var bodyTimeout: Duration
        public var maxRequestLineBytes: Int
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int
        public var accessLog: Bool
        public var requestTimeout: Duration
        public var maxConnections: Int
        public var shutdownGrace: Duration
    }

    public struct Database: Sendable {
        public var uri: String
        public var name: String
        public var threads: Int
        public var queueLimit: Int
        public var startupTimeout: Duration
        public var serverSelectionTimeoutMS: Int
        public var socketTimeoutMS: Int
        public var probeInterval: Duration
        public var probeTimeout: Duration
    }

    public struct Limits: Sendable {
        public var batchMaxEntities: Int
        public var listDefaultLimit: Int
        public var listMaxLimit: Int
        /// Most failed entities the catalog summary groups by reason.
        public var summaryFailureSample: Int
    }

    public var http: HTTP
    public var database: Database
    public var limits: Limits
    public var outbound: Outbound
    public var images: ImageRules
    public var jobs: Jobs
    public var providers: Providers
    public var resilience: Resilience
    public var scans: Scans
    public var webhooks: Webhooks
    public var events: Events
    public var apiKeys: [String]
    /// Keys that open `GET /metrics` and nothing else.
    public var metricsKeys: [String]
    public var logLevel: String
    public var logFormat: LogFormat
    /// Each key's effective value as text, secrets redacted: what start-up logs and `GET /v1/config` show.
    public private(set) var effective: [(key: String, value: String)]

    public static let redacted = "<redacted>"
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads every key: the environment first, then the file named by ENRICHER_CONFIG_FILE, then the default.
    /// `providers` are the keys of every provider there is (their descriptors live in `Enrichment`).
    /// `now` is when the scan schedule's rule is checked from (start-up).
    public init(environment: [String: String], providers providerKeys: [ProviderKeys], now: Date = Date()) throws(ConfigurationError) {
        let keys = ConfigurationKey.table(providers: providerKeys)
        let reader = try ConfigurationReader(environment: environment, known: Set(keys.map(\.name)))
        http = HTTP(
            host: try reader.string(.host),
            port: try reader.integer(.port, in: 0...65535),
            maxBodyBytes: try reader.integer(.maxBodyBytes, in: 1...(1 << 30)),
            readTimeout: .seconds(try reader.integer(.readTimeout, in: 1...3600)),
            headerTimeout: .seconds(try reader.integer(.headerTimeout, in: 1...3600)),
            bodyTimeout: .seconds(try reader.integer(.bodyTimeout, in: 1...3600)),
            maxRequestLineBytes: try reader.integer(.maxRequestLineBytes, in: 256...(1 << 20)),
            maxHeaderBytes: try reader.integer(.maxHeaderBytes, in: 1024...(1 << 20)),
            maxHeaderCount: try reader.integer(.maxHeaderCount, in: 8...10_000),
            accessLog: try reader.switch(.accessLog),
            requestTimeout: .seconds(try reader.integer(.requestTimeout, in: 1...3600)),
            maxConnections: try reader.integer(.maxConnections, in: 1...100_000),
            shutdownGrace: .seconds(try reader.integer(.shutdownGrace, in: 0...3600))
        )
        database = Database(
            uri: try reader.string(.mongoURI),
            name: try reader.string(.database),
            threads: try reader.integer(.dbThreads, in: 1...256),
            queueLimit: try reader.integer(.dbQueueLimit, in: 1...1_000_000),
            startupTimeout: .seconds(try reader.integer(.dbStartupTimeout, in: 0...3600)),
            serverSelectionTimeoutMS: try reader.integer(.dbServerSelectionTimeout, in: 100...600_000),
            socketTimeoutMS: try reader.integer(.dbSocketTimeout, in: 100...600_000),
            probeInterval: .milliseconds(try reader.integer(.dbProbeInterval, in: 100...60_000)),
            probeTimeout: .milliseconds(try reader.integer(.dbProbeTimeout, in: 100...60_000))
        )
        guard Self.isIPAddress(http.host) else {
            throw .invalid(key: ConfigurationKey.host.name, reason: "'\(http.host)' is not an IPv4 or IPv6 address to listen on (0.0.0.0, 127.0.0.1, ::)")
        }
        guard database.uri.hasPrefix("mongodb://") || database.uri.hasPrefix("mongodb+srv://") else {
            throw .invalid(key: ConfigurationKey.mongoURI.name, reason: "must start with mongodb:// or mongodb+srv://")
        }
        guard database.name.range(of: #"^[A-Za-z0-9_-]{1,63}$"#, options: .regularExpression) != nil else {
            throw .invalid(key: ConfigurationKey.database.name, reason: "must be 1 to 63 letters, digits, _ or -")
        }
        limits = Limits(
            batchMaxEntities: try reader.integer(.batchMaxEntities, in: 1...1000),
            listDefaultLimit: try reader.integer(.listDefaultLimit, in: 1...500),
            listMaxLimit: try reader.integer(.listMaxLimit, in: 1...500),
            summaryFailureSample: try reader.integer(.summaryFailureSample, in: 100...1_000_000)
        )
        guard limits.listDefaultLimit <= limits.listMaxLimit else {
            throw .invalid(key: ConfigurationKey.listDefaultLimit.name, reason: "must not exceed \(ConfigurationKey.listMaxLimit.name) (\(limits.listMaxLimit))")
        }
        outbound = try Outbound(reader)
        images = try ImageRules(reader)
        jobs = try Jobs(reader)
        providers = try Providers(reader, providers: providerKeys)
        resilience = try Resilience(reader, providers: providerKeys)
        scans = try Scans(reader, now: now)
        webhooks = try Webhooks(reader)
        events = try Events(reader)
        apiKeys = try Self.keys(.apiKeys, reader)
        metricsKeys = try Self.keys(.metricsKeys, reader)
        logLevel = try reader.string(.logLevel).lowercased()
        guard Self.logLevels.contains(logLevel) else {
            throw .invalid(key: ConfigurationKey.logLevel.name, reason: "must be one of \(Self.logLevels.joined(separator: ", "))")
        }
        let format = try reader.string(.logFormat).lowercased()
        guard let logFormat = LogFormat(rawValue: format) else {
            throw .invalid(key: ConfigurationKey.logFormat.name, reason: "'\(format)' is neither text nor json")
        }
        self.logFormat = logFormat
        effective = keys.map { key in
            let value = reader.raw(key) ?? ""
            if key.secret && !value.isEmpty { return (key.name, Self.redacted) }
            if key == .mongoURI { return (key.name, Self.redact(mongoURI: value)) }
            return (key.name, value)
        }
    }

    /// A comma-separated list of bearer keys, each at least 16 characters.
    private static func keys(_ key: ConfigurationKey, _ reader: ConfigurationReader) throws(ConfigurationError) -> [String] {
        let keys = try reader.optionalString(key)?
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        if let short = keys.first(where: { $0.utf8.count < 16 }) {
            throw .invalid(key: key.name, reason: "every key must be at least 16 characters (one has \(short.utf8.count))")
        }
        return keys
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Checks what serving needs beyond well-formed values.
    public func validateForServing() throws(ConfigurationError) {
        if apiKeys.isEmpty {
            throw .invalid(key: ConfigurationKey.apiKeys.name, reason: "no API key is configured; set at least one (scripts/run generates one for you)")
        }
    }

    /// The URI with any password replaced, fit for logs.
    public static func redact(mongoURI uri: String) -> String {
        guard let scheme = uri.range(of: "://") else { return uri }
        let rest = uri[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return uri }
        let user = rest[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return String(uri[..<scheme.upperBound]) + user + ":" + redacted + String(rest[at...])
    }
}

/// How log lines are written (`ENRICHER_LOG_FORMAT`).
public enum LogFormat: String, Sendable {
    /// swift-log's own line: `timestamp level label: key=value... [module] message`.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(key: String, reason: String)
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let reason): "configuration \(key): \(reason)"
        case .file(let path, let reason): "configuration file \(path) (ENRICHER_CONFIG_FILE): \(reason)"
        }
    }
}

/// Looks keys up in the environment, then the configuration file, then the defaults.
struct ConfigurationReader {
    let environment: [String: String]
    let file: [String: String]

    /// `known`: the names a configuration file may use.
    init(environment: [String: String], known: Set<String>) throws(ConfigurationError) {
        self.environment = environment
        guard let path = environment[ConfigurationKey.configFile.name], !path.isEmpty else {
            file = [:]
            return
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .file(path: path, reason: "cannot be read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .file(path: path, reason: "must hold a JSON object mapping setting names to values")
        }
        var values: [String: String] = [:]
        for (key, value) in object {
            guard known.contains(key) else {
                throw .file(path: path, reason: "unknown setting \(key)")
            }
            switch value {
            case let string as String: values[key] = string
            case let number as NSNumber: values[key] = number.stringValue
            default: throw .file(path: path, reason: "\(key) must be a string or a number")
            }
        }
        file = values
    }

    func raw(_ key: ConfigurationKey) -> String? {
        environment[key.name] ?? file[key.name] ?? key.defaultValue
    }

    func optionalString(_ key: ConfigurationKey) throws(ConfigurationError) -> String? {
        raw(key)
    }

    func string(_ key: ConfigurationKey) throws(ConfigurationError) -> String {
        guard let value = raw(key), !value.isEmpty else {
            throw .invalid(key: key.name, reason: "must not be empty")
        }
        return value
    }

    /// `on`/`off` (also `true`/`false`, `1`/`0`).
    func `switch`(_ key: ConfigurationKey) throws(ConfigurationError) -> Bool {
        let text = try string(key).lowercased()
        switch text {
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default: throw .invalid(key: key.name, reason: "'\(text)' is neither on nor off")
        }
    }

    func integer(_ key: ConfigurationKey, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try string(key)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw .invalid(key: key.name, reason: "'\(text)' is not a whole number")
        }
        guard range.contains(value) else {
            throw .invalid(key: key.name, reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
