import Foundation

extension Configuration {
    /// Callbacks to the catalog, webhook deliveries, and the catalog's inbound webhook. Secrets are
    /// checked for their form by the webhook module (`WebhookSecret`).
    public struct Webhooks: Sendable {
        public var publicURL: String
        public var callbackURL: String?
        public var callbackSecrets: [String]
        public var timeout: Duration
        /// Waits before each retry.
        public var schedule: [Duration]
        public var jitter: Double
        public var disableAfter: Duration
        public var workers: Int
        public var snippetBytes: Int
        public var retention: Duration
        /// Events a replay handles at once.
        public var replayPageSize: Int
        public var inboundSecrets: [String]
        public var inboundTolerance: Int
        /// Every secret set, by key, so their form can be checked naming the key.
        public var secrets: [(key: ConfigurationKey, value: String)]

        init(_ reader: ConfigurationReader) throws(ConfigurationError) {
            func optional(_ key: ConfigurationKey) -> String? {
                reader.raw(key).map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            publicURL = try reader.string(.publicURL).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard Self.isWebURL(publicURL) else {
                throw .invalid(key: ConfigurationKey.publicURL.name, reason: "'\(publicURL)' is not an absolute http or https URL")
            }
            callbackURL = optional(.callbackURL)
            if let callbackURL, !Self.isWebURL(callbackURL) {
                throw .invalid(key: ConfigurationKey.callbackURL.name, reason: "'\(callbackURL)' is not an absolute http or https URL")
            }
            callbackSecrets = [optional(.callbackSecret), optional(.callbackPreviousSecret)].compactMap { $0 }
            if callbackURL != nil, optional(.callbackSecret) == nil {
                throw .invalid(key: ConfigurationKey.callbackSecret.name, reason: "is required with \(ConfigurationKey.callbackURL.name): every callback is signed")
            }
            timeout = .seconds(try reader.integer(.webhookTimeout, in: 1...600))
            var schedule: [Duration] = []
            for item in reader.list(.webhookSchedule) {
                guard let seconds = Int(item), (0...604_800).contains(seconds) else {
                    throw .invalid(key: ConfigurationKey.webhookSchedule.name, reason: "'\(item)' is not a number of seconds from 0 to 604800")
                }
                schedule.append(.seconds(seconds))
            }
            guard schedule.count <= 50 else {
                throw .invalid(key: ConfigurationKey.webhookSchedule.name, reason: "at most 50 retries, got \(schedule.count)")
            }
            self.schedule = schedule
            jitter = Double(try reader.integer(.webhookJitter, in: 0...100)) / 100
            disableAfter = .seconds(3600 * (try reader.integer(.webhookDisableAfter, in: 1...8760)))
            workers = try reader.integer(.webhookWorkers, in: 1...256)
            snippetBytes = try reader.integer(.webhookSnippet, in: 0...65_536)
            retention = .seconds(86_400 * (try reader.integer(.webhookRetention, in: 1...3650)))
            replayPageSize = try reader.integer(.webhookReplayPageSize, in: 1...1000)
            inboundSecrets = [optional(.inboundSecret), optional(.inboundPreviousSecret)].compactMap { $0 }
            inboundTolerance = try reader.integer(.inboundTolerance, in: 1...86_400)
            secrets = [ConfigurationKey.callbackSecret, .callbackPreviousSecret, .inboundSecret, .inboundPreviousSecret]
                .compactMap { key in optional(key).map { (key, $0) } }
        }

        static func isWebURL(_ text: String) -> Bool {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
            return scheme == "http" || scheme == "https"
        }
    }
}
