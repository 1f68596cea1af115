/// The settings of the live event streams (`GET /v1/enrichments/{id}/events`, `GET /v1/events`).
extension ConfigurationKey {
    public static let eventsHeartbeat = ConfigurationKey("ENRICHER_EVENTS_HEARTBEAT_SECONDS", "15",
        "An event stream sends a `: heartbeat` comment after this long without an event (keep it under ENRICHER_HTTP_READ_TIMEOUT_SECONDS and any proxy's idle timeout).")
    public static let eventsPoll = ConfigurationKey("ENRICHER_EVENTS_POLL_MILLISECONDS", "1000",
        "How often an event stream looks for events other instances wrote (this instance's own wake it at once).")
    public static let eventsMaxStreams = ConfigurationKey("ENRICHER_EVENTS_MAX_STREAMS", "100",
        "Event streams one instance serves at once; more get 503 with Retry-After. Each holds a connection (ENRICHER_MAX_CONNECTIONS).")
    public static let eventsPageSize = ConfigurationKey("ENRICHER_EVENTS_PAGE_SIZE", "100",
        "Events an event stream reads from the database at once.")

    public static let events: [ConfigurationKey] = [eventsHeartbeat, eventsPoll, eventsMaxStreams, eventsPageSize]
}
