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

    public static let scans: [ConfigurationKey] = [scanSchedule, scanTimeZone, scanBatchSize, scanMaxRuntime]
}
