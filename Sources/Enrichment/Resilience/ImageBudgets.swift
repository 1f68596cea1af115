/// Which budget an image download from a provider's host spends, by URL prefix: Open Library's covers
/// by ISBN (OCLC, LCCN) have their own limit (100 per 5 minutes per IP, then 403), covers by cover ID
/// none; the Cover Art Archive counts against MusicBrainz's. Other image hosts (CDNs, retailers) have
/// no documented limit and are not budgeted.
public struct ImageBudgets: Sendable {
    public struct Rule: Sendable {
        public var prefix: String
        public var budget: ProviderBudget
        /// How the host says "slow down".
        public var throttleStatuses: Set<Int>

        public init(prefix: String, budget: ProviderBudget, throttleStatuses: Set<Int>) {
            self.prefix = prefix
            self.budget = budget
            self.throttleStatuses = throttleStatuses
        }
    }

    let rules: [Rule]
    /// How long a host that said "slow down" without a Retry-After is left alone
    /// (`ENRICHER_THROTTLE_DEFAULT_RETRY_SECONDS`, as for the providers' APIs).
    let defaultPause: Duration

    public init(_ rules: [Rule], defaultPause: Duration) {
        self.rules = rules
        self.defaultPause = defaultPause
    }

    public static let none = ImageBudgets([], defaultPause: .zero)

    /// The rule for `url`, if a budget covers it. Prefixes are compared without regard to the scheme's
    /// and host's case.
    public func rule(for url: String) -> Rule? {
        rules.first { url.lowercased().hasPrefix($0.prefix.lowercased()) }
    }
}
