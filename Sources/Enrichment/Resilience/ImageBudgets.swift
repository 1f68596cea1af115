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

    public init(_ rules: [Rule]) { self.rules = rules }

    public static let none = ImageBudgets([])

    /// The rule for `url`, if a budget covers it. Prefixes are compared without regard to the scheme's
    /// and host's case.
    public func rule(for url: String) -> Rule? {
        rules.first { url.lowercased().hasPrefix($0.prefix.lowercased()) }
    }
}
