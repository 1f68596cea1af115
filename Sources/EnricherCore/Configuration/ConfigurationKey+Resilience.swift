/// The settings of resilience: how per-provider rate limits and daily quotas are named, circuit breakers, retries.
extension ConfigurationKey {
    /// `ENRICHER_<PROVIDER>_RATE`: requests per period ("1/s", "6/min", "100/5min", "200/h").
    public static func rate(_ provider: String, _ upper: String, _ value: String, _ documented: String) -> ConfigurationKey {
        ConfigurationKey("ENRICHER_\(upper)_RATE", value,
            "Most \(provider) API calls per period, as count/period (s, min, h, or for example 5min); documented: \(documented).")
    }

    public static func burst(_ provider: String, _ upper: String, _ value: String) -> ConfigurationKey {
        ConfigurationKey("ENRICHER_\(upper)_BURST", value, "\(provider) calls allowed back to back before the rate applies.")
    }

    /// `ENRICHER_<PROVIDER>_DAILY_QUOTA`: calls per UTC day; `plan` says where the default comes from.
    public static func dailyQuota(_ provider: String, _ upper: String, _ value: String, plan: String? = nil) -> ConfigurationKey {
        ConfigurationKey("ENRICHER_\(upper)_DAILY_QUOTA", value,
            "\(provider) calls per UTC day\(plan.map { " (\($0))" } ?? ""), counted in MongoDB so a restart keeps the count; 0: no quota.")
    }

    public static let rateMarginPercent = ConfigurationKey("ENRICHER_RATE_MARGIN_PERCENT", "3",
        "Safety margin on every provider limit, in percent: calls are spaced this much wider than the limit, and a call that would leave later than the margin allows takes a new slot, so arrivals at the provider never exceed its limit.")
    public static let egressID = ConfigurationKey("ENRICHER_EGRESS_ID", "shared",
        "Instances with the same value share every provider's rate budget in MongoDB (they reach providers from one IP); give instances behind different IPs different values.")

    public static let breakerWindow = ConfigurationKey("ENRICHER_BREAKER_WINDOW", "20",
        "Calls per provider the circuit breaker judges the failure rate over.")
    public static let breakerMinimumCalls = ConfigurationKey("ENRICHER_BREAKER_MINIMUM_CALLS", "10",
        "Calls needed in the window before a breaker may open.")
    public static let breakerFailureRate = ConfigurationKey("ENRICHER_BREAKER_FAILURE_RATE_PERCENT", "50",
        "Failure rate (timeouts, 5xx, connection errors) at which a provider's breaker opens.")
    public static let breakerWait = ConfigurationKey("ENRICHER_BREAKER_WAIT_SECONDS", "30",
        "How long an open breaker skips its provider before letting probes through; doubles on each reopening.")
    public static let breakerMaxWait = ConfigurationKey("ENRICHER_BREAKER_MAX_WAIT_SECONDS", "300",
        "Longest wait of an open breaker, however often it reopened.")
    public static let breakerProbes = ConfigurationKey("ENRICHER_BREAKER_HALF_OPEN_CALLS", "3",
        "Probe calls a half-open breaker lets through; all must succeed to close it.")
    public static let breakerSlowCall = ConfigurationKey("ENRICHER_BREAKER_SLOW_CALL_SECONDS", "0",
        "A provider lookup taking longer than this counts as slow; 0: call durations are not judged.")
    public static let breakerSlowCallRate = ConfigurationKey("ENRICHER_BREAKER_SLOW_CALL_RATE_PERCENT", "100",
        "Share of slow lookups in the window at which a provider's breaker opens (with ENRICHER_BREAKER_SLOW_CALL_SECONDS set).")
    public static let providerInFlight = ConfigurationKey("ENRICHER_PROVIDER_MAX_IN_FLIGHT", "4",
        "Most API requests one provider has in flight at once; further requests wait their turn, in order.")
    public static let retryAttempts = ConfigurationKey("ENRICHER_RETRY_ATTEMPTS", "3",
        "Attempts per provider call for transient failures (timeouts, 5xx), with exponential backoff and full jitter.")
    public static let retryBase = ConfigurationKey("ENRICHER_RETRY_BASE_MS", "200", "First retry's largest delay.")
    public static let retryCap = ConfigurationKey("ENRICHER_RETRY_CAP_MS", "10000", "Largest delay between retries.")

    /// The settings every provider's budget and breaker share; each provider's own rate, burst and quota
    /// keys are its descriptor's.
    public static let resilience: [ConfigurationKey] = [
        rateMarginPercent, egressID,
        breakerWindow, breakerMinimumCalls, breakerFailureRate, breakerWait, breakerMaxWait, breakerProbes,
        breakerSlowCall, breakerSlowCallRate, providerInFlight, retryAttempts, retryBase, retryCap,
    ]
}
