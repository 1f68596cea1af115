import Foundation

extension Configuration {
    /// Outbound HTTP: identity, timeouts, caps and the address rules.
    public struct Outbound: Sendable {
        public var contact: String
        /// CIDR ranges (or single addresses) allowed despite being private/loopback/link-local, as written.
        public var allow: [String]
        public var connectTimeout: Duration
        public var providerTimeout: Duration
        public var imageTimeout: Duration
        public var maxRedirects: Int
        public var maxAPIResponseBytes: Int
        public var maxHostConnections: Int
        public var maxConnections: Int
        public var queueLimit: Int

        init(_ reader: ConfigurationReader) throws(ConfigurationError) {
            contact = try reader.optionalString(.contact)?.trimmingCharacters(in: .whitespaces) ?? ""
            if contact.contains(where: { $0 == "(" || $0 == ")" || $0.isNewline }) {
                throw .invalid(key: ConfigurationKey.contact.name, reason: "must not contain parentheses or line breaks")
            }
            allow = reader.list(.outboundAllow)
            connectTimeout = .milliseconds(try reader.integer(.connectTimeout, in: 100...120_000))
            providerTimeout = .seconds(try reader.integer(.providerTimeout, in: 1...600))
            imageTimeout = .seconds(try reader.integer(.imageTimeout, in: 1...600))
            maxRedirects = try reader.integer(.maxRedirects, in: 0...20)
            maxAPIResponseBytes = try reader.integer(.maxAPIResponseBytes, in: 1024...(256 << 20))
            maxHostConnections = try reader.integer(.httpMaxHostConnections, in: 1...256)
            maxConnections = try reader.integer(.httpMaxConnections, in: 1...4096)
            if maxConnections < maxHostConnections {
                throw .invalid(key: ConfigurationKey.httpMaxConnections.name,
                               reason: "must be at least \(ConfigurationKey.httpMaxHostConnections.name) (\(maxHostConnections))")
            }
            queueLimit = try reader.integer(.httpQueueLimit, in: 1...1_000_000)
        }
    }

    /// What an image must be to become a cover.
    public struct ImageRules: Sendable {
        public enum Selection: String, Sendable { case first, best }
        public var maxBytes: Int
        public var maxPixels: Int
        public var minShortSide: Int
        public var placeholderSHA256s: Set<String>
        /// Threads checking images at once.
        public var threads: Int
        public var selection: Selection
        /// Rendition names and long sides, in order.
        public var renditions: [(name: String, longSide: Int)]
        /// `jpeg` or `webp`.
        public var format: String
        public var quality: Int
        /// Six hex digits.
        public var background: String
        public var queueLimit: Int
        public var duplicateDistance: Int
        public var gcInterval: Duration
        public var gcGrace: Duration
        /// How long GridFS files and chunks nothing owns are kept.
        public var orphanGrace: Duration
        /// nil when scheduled reconciliation is off.
        public var reconcileInterval: Duration?

        init(_ reader: ConfigurationReader) throws(ConfigurationError) {
            maxBytes = try reader.integer(.imageMaxBytes, in: 1024...(1 << 30))
            maxPixels = try reader.integer(.imageMaxPixels, in: 10_000...1_000_000_000)
            minShortSide = try reader.integer(.imageMinShortSide, in: 1...10_000)
            var hashes = Set<String>()
            for hash in reader.list(.imagePlaceholders) {
                let lower = hash.lowercased()
                guard lower.utf8.count == 64, lower.allSatisfy(\.isHexDigit) else {
                    throw .invalid(key: ConfigurationKey.imagePlaceholders.name, reason: "'\(hash)' is not a SHA-256 in hex (64 characters)")
                }
                hashes.insert(lower)
            }
            placeholderSHA256s = hashes
            let threads = try reader.integer(.imageThreads, in: 0...256)
            self.threads = threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : threads
            let selection = try reader.string(.imageSelection).lowercased()
            guard let value = Selection(rawValue: selection) else {
                throw .invalid(key: ConfigurationKey.imageSelection.name, reason: "must be first or best")
            }
            self.selection = value
            var renditions: [(name: String, longSide: Int)] = []
            for item in reader.list(.renditions) {
                let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let side = Int(parts[1]), (16...10_000).contains(side),
                      parts[0].range(of: #"^[a-z0-9_-]{1,32}$"#, options: .regularExpression) != nil else {
                    throw .invalid(key: ConfigurationKey.renditions.name, reason: "'\(item)' is not name:pixels (a lowercase name, 16 to 10000 pixels)")
                }
                guard parts[0] != "original", !renditions.contains(where: { $0.name == parts[0] }) else {
                    throw .invalid(key: ConfigurationKey.renditions.name, reason: "'\(parts[0])' is used twice or is the reserved name original")
                }
                renditions.append((parts[0], side))
            }
            self.renditions = renditions
            format = try reader.string(.renditionFormat).lowercased()
            guard ["jpeg", "webp"].contains(format) else {
                throw .invalid(key: ConfigurationKey.renditionFormat.name, reason: "must be jpeg or webp")
            }
            quality = try reader.integer(.renditionQuality, in: 1...100)
            background = try reader.string(.renditionBackground).lowercased().replacingOccurrences(of: "#", with: "")
            guard background.utf8.count == 6, background.allSatisfy(\.isHexDigit) else {
                throw .invalid(key: ConfigurationKey.renditionBackground.name, reason: "must be six hex digits, like ffffff")
            }
            queueLimit = try reader.integer(.imageQueueLimit, in: 1...100_000)
            duplicateDistance = try reader.integer(.duplicateDistance, in: 0...16)
            gcInterval = .seconds(try reader.integer(.imageGCInterval, in: 1...604_800))
            gcGrace = .seconds(3600 * (try reader.integer(.imageGCGrace, in: 0...8760)))
            orphanGrace = .seconds(60 * (try reader.integer(.imageOrphanGrace, in: 0...10_080)))
            let reconcile = try reader.string(.imageReconcileInterval).lowercased()
            let seconds = reconcile == "off" ? 0 : try reader.integer(.imageReconcileInterval, in: 0...2_592_000)
            reconcileInterval = seconds == 0 ? nil : .seconds(seconds)
        }
    }

    /// Enrichment jobs and their workers.
    public struct Jobs: Sendable {
        public var maxEntities: Int
        /// Most entities one re-run by filter takes.
        public var filterMaxEntities: Int
        /// Entities a re-run by filter writes as tasks at a time.
        public var filterPageSize: Int
        public var workers: Int
        public var queueSize: Int
        public var lease: Duration
        public var poll: Duration
        /// Failed or crashed attempts after which a task is finished as failed.
        public var maxAttempts: Int
        /// Longest a worker waits for a provider's free slot before postponing the entity.
        public var budgetWait: Duration
        public var throttleDeferrals: Int
        public var throttleDefaultRetry: Duration

        init(_ reader: ConfigurationReader) throws(ConfigurationError) {
            maxEntities = try reader.integer(.jobMaxEntities, in: 1...1000)
            filterMaxEntities = try reader.integer(.filterJobMaxEntities, in: 1...10_000_000)
            filterPageSize = try reader.integer(.filterJobPageSize, in: 1...10_000)
            workers = try reader.integer(.workers, in: 1...256)
            queueSize = try reader.integer(.queueSize, in: 1...10_000)
            lease = .seconds(try reader.integer(.leaseSeconds, in: 2...86_400))
            poll = .milliseconds(try reader.integer(.pollMilliseconds, in: 10...60_000))
            maxAttempts = try reader.integer(.jobMaxAttempts, in: 1...100)
            budgetWait = .milliseconds(try reader.integer(.budgetWait, in: 0...600_000))
            throttleDeferrals = try reader.integer(.throttleDeferrals, in: 0...100)
            throttleDefaultRetry = .seconds(try reader.integer(.throttleDefaultRetry, in: 1...86_400))
        }
    }

    /// Provider endpoints, credentials and chains, as configured (names are checked by the enrichment module).
    public struct Providers: Sendable {
        public var disabled: [String]
        public var chains: [MediaType: [String]]
        /// Every provider setting by key, absent when unset.
        public var values: [ConfigurationKey: String]

        /// Reads each provider's settings as its kind says: base URLs must be http(s) URLs (a trailing
        /// slash dropped), options must pass their provider's check.
        init(_ reader: ConfigurationReader, providers: [ProviderKeys]) throws(ConfigurationError) {
            disabled = reader.list(.providersDisabled).map { $0.lowercased() }
            chains = [
                .books: reader.list(.chainBooks).map { $0.lowercased() },
                .movies: reader.list(.chainMovies).map { $0.lowercased() },
                .games: reader.list(.chainGames).map { $0.lowercased() },
                .musics: reader.list(.chainMusics).map { $0.lowercased() },
            ]
            var values: [ConfigurationKey: String] = [:]
            for setting in providers.flatMap(\.settings) {
                let key = setting.key
                let value = reader.raw(key)?.trimmingCharacters(in: .whitespaces) ?? ""
                switch setting.kind {
                case .url:
                    guard !value.isEmpty else { throw .invalid(key: key.name, reason: "must not be empty") }
                    guard let parsed = URL(string: value), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                        throw .invalid(key: key.name, reason: "'\(value)' is not an http or https URL")
                    }
                    values[key] = value.hasSuffix("/") ? String(value.dropLast()) : value
                case .credential:
                    if !value.isEmpty { values[key] = value }
                case .option(let check):
                    guard !value.isEmpty else { continue }
                    if let reason = check(value) { throw .invalid(key: key.name, reason: reason) }
                    values[key] = value
                }
            }
            self.values = values
        }
    }
}

extension ConfigurationReader {
    /// A comma-separated value as trimmed, non-empty items.
    func list(_ key: ConfigurationKey) -> [String] {
        (raw(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
