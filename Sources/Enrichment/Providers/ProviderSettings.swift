import EnricherCore

/// Where each provider lives and how to authenticate with it, by configuration key: base URLs (no
/// trailing slash), credentials and options. A key not set reads as its default, the real service's
/// address; every base URL is configurable so tests (or a mirror) can point anywhere. Which keys a
/// provider reads is its descriptor's to say.
public struct ProviderSettings: Sendable, Equatable {
    private var values: [String: String] = [:]

    public init() {}

    /// The settings as configured (`ENRICHER_*_URL`, keys, tokens and options).
    public init(_ providers: Configuration.Providers) {
        for (key, value) in providers.values { values[key.name] = value }
    }

    /// The value set for `key`, else its default; empty for an unset key without one (a credential).
    public subscript(key: ConfigurationKey) -> String {
        get { values[key.name] ?? key.defaultValue ?? "" }
        set { values[key.name] = newValue }
    }
}
