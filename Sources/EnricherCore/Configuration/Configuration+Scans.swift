import Foundation
import Scheduling

extension Configuration {
    /// Scheduled scans of the catalog for entities never looked up.
    public struct Scans: Sendable {
        /// nil when scheduled scans are off.
        public var schedule: CronExpression?
        public var timeZone: TimeZone
        public var batchSize: Int
        public var maxRuntime: Duration
        /// When lookups that found no cover are due again.
        public var retries: LookupRetrySchedule

        /// Reads the settings and applies the scheduling rule as of `now`: the schedule must parse, run,
        /// and never run twice within an hour in the coming five weeks (daylight-saving changes included).
        init(_ reader: ConfigurationReader, now: Date) throws(ConfigurationError) {
            let zoneName = try reader.string(.scanTimeZone)
            guard let timeZone = TimeZone(identifier: zoneName) else {
                throw .invalid(key: ConfigurationKey.scanTimeZone.name, reason: "'\(zoneName)' is not a time zone name (for example UTC or Europe/Berlin)")
            }
            self.timeZone = timeZone
            let text = try reader.string(.scanSchedule)
            if text.lowercased() == "off" {
                schedule = nil
            } else {
                switch CronExpression.validateSchedule(text, timeZone: timeZone, now: now) {
                case .success(let expression): schedule = expression
                case .failure(let error):
                    throw .invalid(key: ConfigurationKey.scanSchedule.name, reason: "'\(text)': \(error)")
                }
            }
            batchSize = try reader.integer(.scanBatchSize, in: 1...10_000)
            maxRuntime = .seconds(try reader.integer(.scanMaxRuntime, in: 1...86_400))
            retries = LookupRetrySchedule(notFound: try Self.waits(reader, .retryNotFoundSchedule),
                                          failed: try Self.waits(reader, .retryFailedSchedule))
        }

        private static func waits(_ reader: ConfigurationReader, _ key: ConfigurationKey) throws(ConfigurationError) -> [Duration] {
            switch LookupRetrySchedule.parse(try reader.string(key)) {
            case .success(let waits): return waits
            case .failure(let error): throw .invalid(key: key.name, reason: "\(error)")
            }
        }
    }
}
