import EnricherCore
import Foundation

/// One scan of the catalog for entities awaiting a lookup, as stored and as `GET /v1/scans` shows it.
public struct ScanRun: Sendable, Equatable {
    public enum Trigger: String, Sendable, Codable {
        /// Started by `ENRICHER_SCAN_SCHEDULE`.
        case scheduled
        /// Started by `POST /v1/scans`.
        case manual
    }

    public enum Status: String, Sendable, Codable {
        case running
        /// Every entity it took was looked up (or left for later by a throttle).
        case completed
        /// It reached its run time; the entities it had not started wait for the next scan.
        case stopped
    }

    public var id: String
    public var trigger: Trigger
    /// Whether it also took entities whose earlier lookup failed (never permanent failures).
    public var force: Bool
    public var status: Status
    public var startedAt: Date
    /// When it stops taking entities (`ENRICHER_SCAN_MAX_RUNTIME_SECONDS` after the start).
    public var deadline: Date
    public var finishedAt: Date?
    /// Entities awaiting a lookup per media type when it started (types with an enabled provider only).
    public var pending: [MediaType: Int]
    /// Entities it took per media type.
    public var allocation: [MediaType: Int]
    /// The job doing its lookups; nil when there was nothing to take.
    public var jobID: String?
    /// What its lookups came to; stored when it finishes.
    public var counts: JobCounts?
    /// Why it stopped, in words.
    public var detail: String?

    /// A new scan's id: `scan_` and 20 random base-32 characters.
    static func newID() -> String { randomID(prefix: "scan_") }
}

/// What a scan would take right now: `enricher scan --dry-run` prints it; a scan records it.
public struct ScanPlan: Sendable, Equatable {
    /// The media types with at least one enabled provider, in catalog order.
    public var mediaTypes: [MediaType]
    public var batchSize: Int
    public var force: Bool
    public var pending: [MediaType: Int]
    public var allocation: [MediaType: Int]

    public var total: Int { allocation.values.reduce(0, +) }
}

public enum ScanError: Error, Sendable, CustomStringConvertible {
    /// Another scan holds the scan lock (in this process or another one).
    case alreadyRunning(scanID: String?, since: Date?)

    public var description: String {
        switch self {
        case .alreadyRunning(let id, let since):
            let started = since.map { " since \($0.ISO8601Format())" } ?? ""
            return "scan \(id ?? "(unknown)") is running\(started); scans never overlap, so start another when it has finished"
        }
    }
}
