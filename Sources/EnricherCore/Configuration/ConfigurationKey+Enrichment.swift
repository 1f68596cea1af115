/// The settings of enrichment: outbound HTTP, image checks, jobs and the providers.
extension ConfigurationKey {
    public static let contact = ConfigurationKey("ENRICHER_CONTACT", nil,
        "Contact (email or URL) put in the User-Agent, `Enricher/<version> (<contact>)`. MusicBrainz and Open Library throttle clients without one.")
    public static let outboundAllow = ConfigurationKey("ENRICHER_OUTBOUND_ALLOW", nil,
        "Comma-separated addresses or CIDR ranges outbound requests may reach although private, loopback or link-local (for example a mirror on 10.0.0.5/32). Empty: only public addresses.")
    public static let connectTimeout = ConfigurationKey("ENRICHER_HTTP_CONNECT_TIMEOUT_MS", "5000",
        "Longest wait for an outbound TCP/TLS connection.")
    public static let providerTimeout = ConfigurationKey("ENRICHER_PROVIDER_TIMEOUT_SECONDS", "15",
        "Longest time one provider API call may take, redirects included.")
    public static let imageTimeout = ConfigurationKey("ENRICHER_IMAGE_DOWNLOAD_TIMEOUT_SECONDS", "30",
        "Longest time one image download may take.")
    public static let maxRedirects = ConfigurationKey("ENRICHER_HTTP_MAX_REDIRECTS", "5",
        "Most redirects an outbound request follows; each hop is checked against the address rules again.")
    public static let maxAPIResponseBytes = ConfigurationKey("ENRICHER_HTTP_MAX_RESPONSE_BYTES", "2097152",
        "Largest provider API response read; a longer one is cut off and counts as a failure.")
    public static let httpMaxHostConnections = ConfigurationKey("ENRICHER_HTTP_MAX_HOST_CONNECTIONS", "4",
        "Most outbound connections open at once to one host; they are kept and reused, and requests beyond them wait for a free one.")
    public static let httpMaxConnections = ConfigurationKey("ENRICHER_HTTP_MAX_CONNECTIONS", "16",
        "Most outbound connections open at once in all, idle ones kept for reuse included (at least ENRICHER_HTTP_MAX_HOST_CONNECTIONS).")
    public static let httpQueueLimit = ConfigurationKey("ENRICHER_HTTP_QUEUE_LIMIT", "10000",
        "Outbound requests accepted at once, under way or waiting for a connection; past it a request fails as unavailable (transient).")

    public static let outbound: [ConfigurationKey] = [
        contact, outboundAllow, connectTimeout, providerTimeout, imageTimeout, maxRedirects, maxAPIResponseBytes,
        httpMaxHostConnections, httpMaxConnections, httpQueueLimit,
    ]

    public static let imageMaxBytes = ConfigurationKey("ENRICHER_IMAGE_MAX_BYTES", "10485760",
        "Largest image downloaded; the download is aborted past it.")
    public static let imageMaxPixels = ConfigurationKey("ENRICHER_IMAGE_MAX_PIXELS", "40000000",
        "Largest width x height accepted, checked from the header before any pixel is decoded.")
    public static let imageMinShortSide = ConfigurationKey("ENRICHER_IMAGE_MIN_SHORT_SIDE", "100",
        "Smallest accepted short side in pixels; smaller images are placeholders or useless as covers.")
    public static let imagePlaceholders = ConfigurationKey("ENRICHER_IMAGE_PLACEHOLDER_SHA256", nil,
        "Comma-separated SHA-256 (hex) of known provider \"no image\" pictures, refused as placeholders.")
    public static let imageThreads = ConfigurationKey("ENRICHER_IMAGE_THREADS", "0",
        "Images checked at once (libvips threads); 0 means one per CPU core.")
    public static let imageSelection = ConfigurationKey("ENRICHER_IMAGE_SELECTION", "first",
        "first: the first candidate in chain order that passes the checks wins; best: every provider of the chain is asked and the largest valid image wins.")

    public static let renditions = ConfigurationKey("ENRICHER_RENDITIONS", "thumb:300,display:1200",
        "Renditions made of every cover, as name:long-side-in-pixels pairs; never upscaled. The normalized original is always kept too.")
    public static let renditionFormat = ConfigurationKey("ENRICHER_RENDITION_FORMAT", "jpeg",
        "Format of the normalized original and the renditions: jpeg or webp.")
    public static let renditionQuality = ConfigurationKey("ENRICHER_RENDITION_QUALITY", "82",
        "Encoder quality of the stored pictures (1 to 100).")
    public static let renditionBackground = ConfigurationKey("ENRICHER_RENDITION_BACKGROUND", "ffffff",
        "Colour (hex RGB) transparent areas are flattened onto for JPEG output.")
    public static let imageQueueLimit = ConfigurationKey("ENRICHER_IMAGE_QUEUE_LIMIT", "256",
        "Images that may queue for a libvips thread; further callers wait their turn, up to four times this many, past which they are refused.")
    public static let duplicateDistance = ConfigurationKey("ENRICHER_IMAGE_DUPLICATE_DISTANCE", "4",
        "Largest perceptual-hash (dHash) distance at which a new cover of the same shape counts as one already stored (0: identical hash only).")
    public static let imageGCInterval = ConfigurationKey("ENRICHER_IMAGE_GC_INTERVAL_SECONDS", "3600",
        "How often stored covers that no entity uses any more are looked for.")
    public static let imageGCGrace = ConfigurationKey("ENRICHER_IMAGE_GC_GRACE_HOURS", "24",
        "How long an unused stored cover is kept before housekeeping deletes it.")
    public static let imageOrphanGrace = ConfigurationKey("ENRICHER_IMAGE_ORPHAN_GRACE_MINUTES", "60",
        "How long a GridFS file no cover names, or a chunk no file owns (left by an interrupted upload), is kept before housekeeping deletes it; longer than any upload takes (0 to 10080).")
    public static let imageReconcileInterval = ConfigurationKey("ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS", "86400",
        "How often stored covers are reconciled with entities in the background: missing renditions are made again from the stored original, other drift is logged for `enricher images reconcile --repair`. off or 0: never.")

    public static let images: [ConfigurationKey] = [
        imageMaxBytes, imageMaxPixels, imageMinShortSide, imagePlaceholders, imageThreads, imageSelection,
        renditions, renditionFormat, renditionQuality, renditionBackground, imageQueueLimit, duplicateDistance,
        imageGCInterval, imageGCGrace, imageOrphanGrace, imageReconcileInterval,
    ]

    public static let jobMaxEntities = ConfigurationKey("ENRICHER_JOB_MAX_ENTITIES", "1000",
        "Most entities in one POST /v1/enrichments (1 to 1000).")
    public static let filterJobMaxEntities = ConfigurationKey("ENRICHER_FILTER_JOB_MAX_ENTITIES", "100000",
        "Most entities one re-run by filter (POST /v1/enrichments with a filter) may take; a filter matching more is refused with 422 (1 to 10000000).")
    public static let filterJobPageSize = ConfigurationKey("ENRICHER_FILTER_JOB_PAGE_SIZE", "250",
        "Entities a re-run by filter writes as tasks at a time, in the background; the next page is written when fewer than this many of its tasks are queued, so a large re-run never floods the queue (1 to 10000).")
    public static let workers = ConfigurationKey("ENRICHER_WORKERS", "4",
        "Entities enriched at once.")
    public static let queueSize = ConfigurationKey("ENRICHER_JOB_QUEUE_SIZE", "8",
        "Claimed work held in memory ahead of the workers (claimed in batches, its leases renewed while it waits); workers take from it fairly across media types.")
    public static let leaseSeconds = ConfigurationKey("ENRICHER_JOB_LEASE_SECONDS", "120",
        "How long a worker's claim on queued work lasts without renewal; work of a crashed process is taken again after it.")
    public static let pollMilliseconds = ConfigurationKey("ENRICHER_JOB_POLL_MS", "1000",
        "How often idle workers look for due work (new jobs wake them at once).")
    public static let jobMaxAttempts = ConfigurationKey("ENRICHER_JOB_MAX_ATTEMPTS", "5",
        "How often an entity's processing may fail or crash the worker (its lease then runs out) before the entity is finished as failed with the reason, so its job completes (1 to 100).")
    public static let budgetWait = ConfigurationKey("ENRICHER_JOB_BUDGET_WAIT_MS", "2000",
        "Longest a worker waits for a provider's next free slot. An entity whose next provider has none sooner goes back to the queue with what it found so far, due when the slot is (not a deferral), and the worker takes other work (0 to 600000).")
    public static let throttleDeferrals = ConfigurationKey("ENRICHER_THROTTLE_MAX_DEFERRALS", "3",
        "How often a job retries an entity every provider throttled, each after the wait the provider asked for, before reporting it deferred (left unmarked for a later run).")
    public static let throttleDefaultRetry = ConfigurationKey("ENRICHER_THROTTLE_DEFAULT_RETRY_SECONDS", "60",
        "Wait before retrying a throttled entity when the provider gave no Retry-After.")

    public static let enrichment: [ConfigurationKey] = [
        jobMaxEntities, filterJobMaxEntities, filterJobPageSize, workers, queueSize, leaseSeconds, pollMilliseconds, jobMaxAttempts, budgetWait, throttleDeferrals, throttleDefaultRetry,
    ]

    public static let providersDisabled = ConfigurationKey("ENRICHER_PROVIDERS_DISABLED", nil,
        "Comma-separated provider names to switch off.")
    public static let chainBooks = ConfigurationKey("ENRICHER_CHAIN_BOOKS", "openlibrary,googlebooks,upcitemdb",
        "Providers asked for books, in order, after the entity's own imageUrl.")
    public static let chainMovies = ConfigurationKey("ENRICHER_CHAIN_MOVIES", "tmdb,upcitemdb",
        "Providers asked for movies, in order, after the entity's own imageUrl.")
    public static let chainGames = ConfigurationKey("ENRICHER_CHAIN_GAMES", "igdb,giantbomb,upcitemdb",
        "Providers asked for games, in order, after the entity's own imageUrl.")
    public static let chainMusics = ConfigurationKey("ENRICHER_CHAIN_MUSICS", "musicbrainz,upcitemdb",
        "Providers asked for musics, in order, after the entity's own imageUrl.")

    /// The keys choosing providers, `ENRICHER_PROVIDERS_DISABLED` naming those there are. Each provider's
    /// own keys (base URLs, credentials, options) are its descriptor's.
    static func chains(_ providers: [ProviderKeys]) -> [ConfigurationKey] {
        let disabled = ConfigurationKey(providersDisabled.name, nil,
            "Comma-separated provider names to switch off (\(providers.map(\.name).joined(separator: ", "))).")
        return [disabled, chainBooks, chainMovies, chainGames, chainMusics]
    }
}
