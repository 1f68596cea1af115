/// The settings of resilience: per-provider rate limits and daily quotas, circuit breakers, retries.
extension ConfigurationKey {
    /// `ENRICHER_<PROVIDER>_RATE`: requests per period ("1/s", "6/min", "100/5min", "200/h").
    static func rate(_ provider: String, _ upper: String, _ value: String, _ documented: String) -> ConfigurationKey {
        ConfigurationKey("ENRICHER_\(upper)_RATE", value,
            "Most \(provider) API calls per period, as count/period (s, min, h, or for example 5min); documented: \(documented).")
    }

    static func burst(_ provider: String, _ upper: String, _ value: String) -> ConfigurationKey {
        ConfigurationKey("ENRICHER_\(upper)_BURST", value, "\(provider) calls allowed back to back before the rate applies.")
    }

    public static let openLibraryRate = rate("Open Library", "OPENLIBRARY", "1/s", "1 req/s, 3 req/s with a contact in the User-Agent")
    public static let openLibraryBurst = burst("Open Library", "OPENLIBRARY", "1")
    public static let googleBooksRate = rate("Google Books", "GOOGLEBOOKS", "10/s", "1,000 per day per project")
    public static let googleBooksBurst = burst("Google Books", "GOOGLEBOOKS", "1")
    public static let googleBooksDaily = ConfigurationKey("ENRICHER_GOOGLEBOOKS_DAILY_QUOTA", "1000",
        "Google Books calls per UTC day, counted in MongoDB so a restart keeps the count; 0: no quota.")
    public static let upcItemDBDaily = ConfigurationKey("ENRICHER_UPCITEMDB_DAILY_QUOTA", "100",
        "UPCitemdb calls per UTC day (trial plan: 100), counted in MongoDB so a restart keeps the count; 0: no quota.")
    public static let upcItemDBRate = rate("UPCitemdb", "UPCITEMDB", "6/min", "about 6/min and 100/day per IP on the trial plan")
    public static let upcItemDBBurst = burst("UPCitemdb", "UPCITEMDB", "1")
    public static let tmdbRate = rate("TMDb", "TMDB", "40/s", "about 40 req/s")
    public static let tmdbBurst = burst("TMDb", "TMDB", "1")
    public static let giantBombRate = rate("GiantBomb", "GIANTBOMB", "200/h", "200 per resource per hour")
    public static let giantBombBurst = burst("GiantBomb", "GIANTBOMB", "1")
    public static let igdbRate = rate("IGDB", "IGDB", "4/s", "about 4 req/s")
    public static let igdbBurst = burst("IGDB", "IGDB", "1")
    public static let musicBrainzRate = rate("MusicBrainz (and the Cover Art Archive)", "MUSICBRAINZ", "1/s", "1 req/s per IP")
    public static let musicBrainzBurst = burst("MusicBrainz", "MUSICBRAINZ", "1")

    public static let openLibraryCoversRate = ConfigurationKey("ENRICHER_OPENLIBRARY_COVERS_RATE", "100/5min",
        "Most Open Library cover downloads by ISBN per period (covers by cover ID are not limited); documented: 100 per 5 minutes per IP, then 403.")
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

    public static let resilience: [ConfigurationKey] = [
        openLibraryRate, openLibraryBurst, googleBooksRate, googleBooksBurst, googleBooksDaily, upcItemDBRate, upcItemDBBurst, upcItemDBDaily,
        tmdbRate, tmdbBurst, giantBombRate, giantBombBurst, igdbRate, igdbBurst, musicBrainzRate, musicBrainzBurst,
        openLibraryCoversRate, rateMarginPercent, egressID,
        breakerWindow, breakerMinimumCalls, breakerFailureRate, breakerWait, breakerMaxWait, breakerProbes,
        breakerSlowCall, breakerSlowCallRate, providerInFlight, retryAttempts, retryBase, retryCap,
    ]
}
