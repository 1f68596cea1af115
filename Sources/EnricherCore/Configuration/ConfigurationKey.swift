/// Every setting Enricher reads, with its default and meaning. docs/configuration.md (`enricher config docs`),
/// `enricher config check` and `GET /v1/config` all read `sections(providers:)`. A key is known by its name.
public struct ConfigurationKey: Sendable, Hashable {
    public let name: String
    /// nil when the setting has no default.
    public let defaultValue: String?
    public let meaning: String
    /// Shown as `<redacted>` in logs and `GET /v1/config`.
    public let secret: Bool

    public init(_ name: String, _ defaultValue: String?, _ meaning: String, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.secret = secret
    }

    public static func == (lhs: ConfigurationKey, rhs: ConfigurationKey) -> Bool { lhs.name == rhs.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension ConfigurationKey {
    public static let configFile = ConfigurationKey("ENRICHER_CONFIG_FILE", nil,
        "Path of a JSON file whose object maps any of these keys to values; the environment overrides it.")
    public static let host = ConfigurationKey("ENRICHER_HOST", "0.0.0.0", "Address the HTTP server listens on.")
    public static let port = ConfigurationKey("ENRICHER_PORT", "8080", "TCP port of the HTTP server (0 picks a free one).")
    public static let apiKeys = ConfigurationKey("ENRICHER_API_KEYS", nil,
        "Comma-separated API keys accepted as `Authorization: Bearer <key>` on /v1. Required (scripts/run makes one).", secret: true)
    public static let metricsKeys = ConfigurationKey("ENRICHER_METRICS_KEYS", nil,
        "Comma-separated keys (16+ characters) that open only GET /metrics, for a Prometheus server; the API keys open it too.", secret: true)
    public static let maxBodyBytes = ConfigurationKey("ENRICHER_MAX_BODY_BYTES", "1048576",
        "Largest request body accepted; larger ones get 413.")
    public static let readTimeout = ConfigurationKey("ENRICHER_HTTP_READ_TIMEOUT_SECONDS", "30",
        "A connection that sends nothing for this long while a request (or the next one) is due is closed.")
    public static let requestTimeout = ConfigurationKey("ENRICHER_HTTP_REQUEST_TIMEOUT_SECONDS", "60",
        "Longest time a request handler may run.")
    public static let headerTimeout = ConfigurationKey("ENRICHER_HTTP_HEADER_TIMEOUT_SECONDS", "10",
        "A request's whole header section must arrive within this time of its first byte, else 408 and close (slow senders).")
    public static let bodyTimeout = ConfigurationKey("ENRICHER_HTTP_BODY_TIMEOUT_SECONDS", "30",
        "A request's whole body must arrive within this time of its header section, else 408 and close (slow senders).")
    public static let maxRequestLineBytes = ConfigurationKey("ENRICHER_HTTP_MAX_REQUEST_LINE_BYTES", "8192",
        "Longest request line (method, target, version); longer gets 414.")
    public static let maxHeaderBytes = ConfigurationKey("ENRICHER_HTTP_MAX_HEADER_BYTES", "16384",
        "Largest header section of a request; larger gets 431.")
    public static let maxHeaderCount = ConfigurationKey("ENRICHER_HTTP_MAX_HEADER_COUNT", "100",
        "Most header fields in a request; more gets 431.")
    public static let accessLog = ConfigurationKey("ENRICHER_HTTP_ACCESS_LOG", "on",
        "on: one log line per request (method, route template, status, bytes, duration, request id) at info; off: none.")
    public static let maxConnections = ConfigurationKey("ENRICHER_MAX_CONNECTIONS", "1024",
        "Most client connections served at once; further clients wait in the listen backlog.")
    public static let shutdownGrace = ConfigurationKey("ENRICHER_SHUTDOWN_GRACE_SECONDS", "10",
        "On SIGTERM/SIGINT, how long in-flight requests may take to finish.")
    public static let mongoURI = ConfigurationKey("MONGODB_URI", "mongodb://127.0.0.1:27017/?directConnection=true",
        "MongoDB connection string (its password is redacted wherever it is shown).")
    public static let database = ConfigurationKey("ENRICHER_DATABASE", "enricher", "Database name.")
    public static let dbThreads = ConfigurationKey("ENRICHER_DB_THREADS", "8",
        "Threads running blocking libmongoc calls (and pooled connections).")
    public static let dbQueueLimit = ConfigurationKey("ENRICHER_DB_QUEUE_LIMIT", "10000",
        "Database operations that may wait for a thread; past it requests get 503.")
    public static let dbStartupTimeout = ConfigurationKey("ENRICHER_DB_STARTUP_TIMEOUT_SECONDS", "30",
        "At start-up, how long to keep retrying an unreachable database before exiting.")
    public static let dbServerSelectionTimeout = ConfigurationKey("ENRICHER_DB_SERVER_SELECTION_TIMEOUT_MS", "5000",
        "How long one operation waits for a usable server (unless the URI sets serverSelectionTimeoutMS).")
    public static let dbSocketTimeout = ConfigurationKey("ENRICHER_DB_SOCKET_TIMEOUT_MS", "10000",
        "How long one operation waits for a database that stopped answering before it fails (unless the URI sets socketTimeoutMS); API calls then answer 503 with Retry-After.")
    public static let dbProbeInterval = ConfigurationKey("ENRICHER_DB_PROBE_INTERVAL_MS", "1000",
        "How often the database is pinged, on a connection of its own, for /readyz.")
    public static let dbProbeTimeout = ConfigurationKey("ENRICHER_DB_PROBE_TIMEOUT_MS", "2000",
        "How long a ping may take; with no answer for the interval plus this, /readyz says not ready.")
    public static let batchMaxEntities = ConfigurationKey("ENRICHER_BATCH_MAX_ENTITIES", "1000",
        "Most entities in one POST /v1/entities/batch (1 to 1000).")
    public static let listDefaultLimit = ConfigurationKey("ENRICHER_LIST_DEFAULT_LIMIT", "100",
        "Page size of GET /v1/entities when no limit is given.")
    public static let listMaxLimit = ConfigurationKey("ENRICHER_LIST_MAX_LIMIT", "500",
        "Largest page size GET /v1/entities accepts (1 to 500).")
    public static let summaryFailureSample = ConfigurationKey("ENRICHER_SUMMARY_FAILURE_SAMPLE", "10000",
        "Most failed entities GET /v1/catalog/summary groups by failure reason (100 to 1000000): bounds the work of each call.")
    public static let logLevel = ConfigurationKey("ENRICHER_LOG_LEVEL", "info",
        "trace, debug, info, notice, warning, error or critical.")
    public static let logFormat = ConfigurationKey("ENRICHER_LOG_FORMAT", "text",
        "text: one line per event (`timestamp level label: key=value... [module] message`); json: one JSON object per line with timestamp, level, label, message, source and metadata.")

    /// The service's own keys, before the sections of its parts.
    public static let general: [ConfigurationKey] = [
        configFile, host, port, apiKeys, metricsKeys, maxBodyBytes, readTimeout, headerTimeout, bodyTimeout, maxRequestLineBytes, maxHeaderBytes, maxHeaderCount,
        accessLog, requestTimeout, maxConnections, shutdownGrace,
        mongoURI, database, dbThreads, dbQueueLimit, dbStartupTimeout, dbServerSelectionTimeout, dbSocketTimeout, dbProbeInterval, dbProbeTimeout,
        batchMaxEntities, listDefaultLimit, listMaxLimit, summaryFailureSample, logLevel, logFormat,
    ]

    /// Every key, by section, in the order docs/configuration.md lists them: each provider's endpoints and
    /// credentials join the providers section, its budgets the rate limits section.
    public static func sections(providers: [ProviderKeys]) -> [ConfigurationSection] {
        [
            ConfigurationSection("The service: HTTP, database, API limits and logs",
                "How clients reach Enricher and how much they may send ([the HTTP front door](http-front-door.md)), the database, page sizes and logs ([logs](logs.md)).",
                general),
            ConfigurationSection("Outbound HTTP (providers and image downloads)",
                "Every outbound request goes through one libcurl client with these bounds; private, loopback and link-local addresses are refused unless allowed ([outbound safety](how-a-cover-is-found.md#outbound-safety)).",
                outbound),
            ConfigurationSection("Image checks and stored covers",
                "What a candidate image must pass, how stored covers are made, and how long unused ones are kept ([stored covers](how-a-cover-is-found.md#stored-covers)).",
                images),
            ConfigurationSection("Enrichment jobs",
                "The queue of lookups and its workers ([jobs survive restarts](how-a-cover-is-found.md#jobs-survive-restarts)).",
                enrichment),
            ConfigurationSection("Providers",
                "A provider whose credentials are not set is disabled (logged at start-up, shown by `GET /v1/providers`). Every base URL can point at a mirror or, in tests, at a fake.",
                chains(providers) + providers.flatMap(\.settingKeys)),
            ConfigurationSection("Rate limits, circuit breakers and retries",
                "Budgets are shared by every instance on the database; how limits, pauses, quotas and breakers work is in [reliability](reliability.md#provider-limits-breakers-and-retries).",
                providers.flatMap(\.budgetKeys) + resilience),
            ConfigurationSection("Scheduled scans and lookup retries",
                "When scans run, how much each takes, and when a lookup that found nothing is due again ([scans](scans.md)).",
                scans),
            ConfigurationSection("Callbacks, webhooks and the catalog's inbound webhook",
                "Where events go, how they are signed and retried, and the catalog's signed webhook ([webhooks](webhooks.md)).",
                webhooks),
            ConfigurationSection("Live event streams",
                "The server-sent event streams of a job's progress and of every event ([live events](events.md)).",
                events),
        ]
    }

    /// Every key, in the order docs/configuration.md lists them.
    public static func table(providers: [ProviderKeys]) -> [ConfigurationKey] {
        sections(providers: providers).flatMap(\.keys)
    }
}

/// A part of the settings table, as docs/configuration.md shows it: a title, a sentence on what it is
/// about (with links into the other docs), and its keys.
public struct ConfigurationSection: Sendable {
    public let title: String
    public let summary: String
    public let keys: [ConfigurationKey]

    public init(_ title: String, _ summary: String, _ keys: [ConfigurationKey]) {
        self.title = title
        self.summary = summary
        self.keys = keys
    }
}
