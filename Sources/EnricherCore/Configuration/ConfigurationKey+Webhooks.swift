/// The settings of callbacks, webhooks and the catalog's inbound webhook.
extension ConfigurationKey {
    public static let publicURL = ConfigurationKey("ENRICHER_PUBLIC_URL", "http://localhost:8080",
        "The base URL clients reach Enricher at; events give each cover's image URLs under it.")
    public static let callbackURL = ConfigurationKey("ENRICHER_CALLBACK_URL", nil,
        "Where the events of a job without its own callbackUrl go (http or https); unset: nowhere.")
    public static let callbackSecret = ConfigurationKey("ENRICHER_CALLBACK_SECRET", nil,
        "Secret that signs callbacks (whsec_ and the base64 of 24 to 64 bytes); needed for any callback.", secret: true)
    public static let callbackPreviousSecret = ConfigurationKey("ENRICHER_CALLBACK_PREVIOUS_SECRET", nil,
        "During a rotation, the old callback secret: callbacks carry a signature with each.", secret: true)
    public static let webhookTimeout = ConfigurationKey("ENRICHER_WEBHOOK_TIMEOUT_SECONDS", "15",
        "Longest one delivery attempt may take; a slower receiver counts as failed and is tried again.")
    public static let webhookSchedule = ConfigurationKey("ENRICHER_WEBHOOK_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,36000",
        "Seconds before each retry of a failed delivery (after the first attempt), each with the jitter below; after the last, the delivery fails.")
    public static let webhookJitter = ConfigurationKey("ENRICHER_WEBHOOK_JITTER_PERCENT", "20",
        "Each retry's wait varies by up to this share either way.")
    public static let webhookDisableAfter = ConfigurationKey("ENRICHER_WEBHOOK_DISABLE_AFTER_HOURS", "120",
        "An endpoint with failed deliveries and no success for this long is disabled (a 410 answer disables it at once).")
    public static let webhookWorkers = ConfigurationKey("ENRICHER_WEBHOOK_WORKERS", "4",
        "Deliveries in flight at once.")
    public static let webhookSnippet = ConfigurationKey("ENRICHER_WEBHOOK_RESPONSE_SNIPPET_BYTES", "512",
        "How much of a receiver's answer each recorded attempt keeps.")
    public static let webhookRetention = ConfigurationKey("ENRICHER_WEBHOOK_RETENTION_DAYS", "30",
        "Events (what a replay can send), finished deliveries with their attempts, finished replays, and inbound webhook-ids are kept this long.")
    public static let webhookReplayPageSize = ConfigurationKey("ENRICHER_WEBHOOK_REPLAY_PAGE_SIZE", "100",
        "Events a replay reads and queues again at once; it queues the next page when fewer than this many deliveries to the subscription wait.")
    public static let inboundSecret = ConfigurationKey("ENRICHER_INBOUND_SECRET", nil,
        "Secret the catalog signs POST /v1/inbound/catalog with (whsec_...); unset: the endpoint refuses every delivery.", secret: true)
    public static let inboundPreviousSecret = ConfigurationKey("ENRICHER_INBOUND_PREVIOUS_SECRET", nil,
        "During a rotation, the catalog's old secret, also accepted.", secret: true)
    public static let inboundTolerance = ConfigurationKey("ENRICHER_INBOUND_TOLERANCE_SECONDS", "300",
        "How far an inbound webhook-timestamp may be from now before the delivery is refused as stale.")

    public static let webhooks: [ConfigurationKey] = [
        publicURL, callbackURL, callbackSecret, callbackPreviousSecret, webhookTimeout, webhookSchedule, webhookJitter,
        webhookDisableAfter, webhookWorkers, webhookSnippet, webhookRetention, webhookReplayPageSize, inboundSecret, inboundPreviousSecret, inboundTolerance,
    ]
}
