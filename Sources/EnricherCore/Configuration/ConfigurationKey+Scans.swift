/// The settings of scheduled scans: when they run and how much each takes.
extension ConfigurationKey {
    public static let scanSchedule = ConfigurationKey("ENRICHER_SCAN_SCHEDULE", "0 2 * * *",
        "When scans run: a 5-field cron expression (minute hour day-of-month month day-of-week; lists, ranges, steps, month and weekday names). Runs must be at least 1 hour apart. `off`: no scheduled scans (POST /v1/scans still starts one).")
    public static let scanTimeZone = ConfigurationKey("ENRICHER_SCAN_TIMEZONE", "UTC",
        "Time zone the schedule is read in (an IANA name such as Europe/Berlin); runs follow its daylight-saving changes.")
    public static let scanBatchSize = ConfigurationKey("ENRICHER_SCAN_BATCH_SIZE", "25",
        "Entities one scan takes, split evenly across the media types with an enabled provider; the remainder goes to the types with the most pending.")
    public static let scanMaxRuntime = ConfigurationKey("ENRICHER_SCAN_MAX_RUNTIME_SECONDS", "3600",
        "When a scan has run this long it stops taking entities; those not started wait, unmarked, for the next scan.")

    public static let retryNotFoundSchedule = ConfigurationKey("ENRICHER_RETRY_NOT_FOUND_SCHEDULE", "7d,30d,90d",
        "When an entity whose lookup found nothing is due again: the wait after its 1st, 2nd... lookup in a row without a cover (s, m, h or d), the last repeating; scans take it once due. off: never by itself.")
    public static let retryFailedSchedule = ConfigurationKey("ENRICHER_RETRY_FAILED_SCHEDULE", "1d,7d,30d",
        "The same for a lookup that failed (a source timed out, answered an error or is misconfigured). Permanent failures are never due; a change of ISBN, barcode, title, year or imageUrl queues them.")

    public static let scans: [ConfigurationKey] = [scanSchedule, scanTimeZone, scanBatchSize, scanMaxRuntime, retryNotFoundSchedule, retryFailedSchedule]
}
