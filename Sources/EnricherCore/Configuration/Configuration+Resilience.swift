import Foundation

extension Configuration {
    /// Rate limits per provider, circuit breakers, retries.
    public struct Resilience: Sendable {
        public struct Rate: Sendable, Equatable {
            public var count: Int
            public var period: Duration
            public var burst: Int
        }

        /// By budget name: each provider's own (`openlibrary`, ...), and its hosts' (`openlibrary-covers`).
        public var rates: [String: Rate]
        /// Added to every interval between two calls of one budget, in percent of it.
        public var marginPercent: Int
        /// Instances with the same egress identity share budgets.
        public var egressID: String
        /// Calls per UTC day by provider name; absent: no quota.
        public var dailyQuotas: [String: Int]
        public var breakerWindow: Int
        public var breakerMinimumCalls: Int
        public var breakerFailureRate: Double
        public var breakerWait: Duration
        public var breakerMaxWait: Duration
        public var breakerProbes: Int
        /// nil: durations are not judged.
        public var breakerSlowCall: Duration?
        public var breakerSlowCallRate: Double
        public var maxInFlight: Int
        public var retryAttempts: Int
        public var retryBase: Duration
        public var retryCap: Duration

        init(_ reader: ConfigurationReader, providers: [ProviderKeys]) throws(ConfigurationError) {
            var rates: [String: Rate] = [:]
            var quotas: [String: Int] = [:]
            for provider in providers {
                for budget in provider.budgets {
                    let (count, period) = try Self.rate(try reader.string(budget.rate), key: budget.rate)
                    var burst = 1
                    if let key = budget.burst { burst = try reader.integer(key, in: 1...10_000) }
                    rates[budget.name] = Rate(count: count, period: period, burst: burst)
                }
                if let key = provider.dailyQuota {
                    let limit = try reader.integer(key, in: 0...100_000_000)
                    if limit > 0 { quotas[provider.name] = limit }
                }
            }
            self.rates = rates
            dailyQuotas = quotas
            marginPercent = try reader.integer(.rateMarginPercent, in: 0...100)
            egressID = try reader.string(.egressID)
            guard egressID.range(of: #"^[A-Za-z0-9._:-]{1,64}$"#, options: .regularExpression) != nil else {
                throw .invalid(key: ConfigurationKey.egressID.name, reason: "must be 1 to 64 letters, digits or . _ : -")
            }
            breakerWindow = try reader.integer(.breakerWindow, in: 1...10_000)
            breakerMinimumCalls = try reader.integer(.breakerMinimumCalls, in: 1...10_000)
            guard breakerMinimumCalls <= breakerWindow else {
                throw .invalid(key: ConfigurationKey.breakerMinimumCalls.name, reason: "must not exceed \(ConfigurationKey.breakerWindow.name) (\(breakerWindow))")
            }
            breakerFailureRate = Double(try reader.integer(.breakerFailureRate, in: 1...100)) / 100
            breakerWait = .seconds(try reader.integer(.breakerWait, in: 1...86_400))
            breakerMaxWait = .seconds(try reader.integer(.breakerMaxWait, in: 1...86_400))
            guard breakerMaxWait >= breakerWait else {
                throw .invalid(key: ConfigurationKey.breakerMaxWait.name, reason: "must be at least \(ConfigurationKey.breakerWait.name)")
            }
            breakerProbes = try reader.integer(.breakerProbes, in: 1...1000)
            let slowSeconds = try reader.integer(.breakerSlowCall, in: 0...3600)
            breakerSlowCall = slowSeconds == 0 ? nil : .seconds(slowSeconds)
            breakerSlowCallRate = Double(try reader.integer(.breakerSlowCallRate, in: 1...100)) / 100
            maxInFlight = try reader.integer(.providerInFlight, in: 1...1000)
            retryAttempts = try reader.integer(.retryAttempts, in: 1...20)
            retryBase = .milliseconds(try reader.integer(.retryBase, in: 1...600_000))
            retryCap = .milliseconds(try reader.integer(.retryCap, in: 1...600_000))
            guard retryCap >= retryBase else {
                throw .invalid(key: ConfigurationKey.retryCap.name, reason: "must be at least \(ConfigurationKey.retryBase.name)")
            }
        }

        /// The safety margin for a budget whose interval is `interval`.
        public func margin(for interval: Duration) -> Duration {
            interval * marginPercent / 100
        }

        /// "6/min", "100/5min", "1/s", "200/h".
        static func rate(_ text: String, key: ConfigurationKey) throws(ConfigurationError) -> (Int, Duration) {
            let parts = text.lowercased().split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
            let units: [String: Int] = ["s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "d": 86_400, "day": 86_400]
            guard parts.count == 2, let count = Int(parts[0]), (1...1_000_000).contains(count) else {
                throw .invalid(key: key.name, reason: "'\(text)' is not count/period with a count of 1 to 1000000, like 6/min or 100/5min")
            }
            let digits = parts[1].prefix { $0.isNumber }
            let multiple = digits.isEmpty ? 1 : Int(digits) ?? 0
            guard (1...1_000_000).contains(multiple), let unit = units[String(parts[1].dropFirst(digits.count))] else {
                throw .invalid(key: key.name, reason: "'\(text)': the period must be s, min, h or d, optionally with a number before it (5min)")
            }
            return (count, .seconds(multiple * unit))
        }
    }
}
