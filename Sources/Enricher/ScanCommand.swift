import ArgumentParser
import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Logging

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Show what a scan would take now (--dry-run): entities awaiting a lookup and the batch per media type. Changes nothing; a running service starts scans on its schedule or with POST /v1/scans."
    )

    @Option(help: "A JSON configuration file (same as ENRICHER_CONFIG_FILE).")
    var config: String?

    @Flag(help: "Print the allocation a scan would use and do nothing else (required).")
    var dryRun = false

    @Flag(help: "Count entities whose earlier lookup failed too, as a forced scan would.")
    var force = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard dryRun else {
            throw ValidationError("only --dry-run is supported here: the running service starts scans on its schedule (ENRICHER_SCAN_SCHEDULE) or with POST /v1/scans")
        }
    }

    func run() async throws {
        let configuration = try loadConfiguration(file: config, forServing: false)
        LogOutput.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let plan: ScanPlan
        do {
            plan = try await Maintenance.planScan(configuration: configuration, force: force, logger: Logger(label: "enricher"))
        } catch {
            FileHandle.standardError.write(Data("enricher: scan --dry-run failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data((json ? try Self.json(plan) : Self.table(plan, configuration.scans)).utf8))
    }

    static func table(_ plan: ScanPlan, _ scans: Configuration.Scans) -> String {
        var lines = ["Dry run: nothing was changed.",
                     "Batch size \(plan.batchSize) (ENRICHER_SCAN_BATCH_SIZE)\(plan.force ? ", forced: failed lookups count too" : "")."]
        if let schedule = scans.schedule, let next = schedule.nextRun(after: Date(), in: scans.timeZone) {
            lines.append("Next scheduled scan: \(next.ISO8601Format()) ('\(schedule)' in \(scans.timeZone.identifier)).")
        } else {
            lines.append("Scheduled scans are off (ENRICHER_SCAN_SCHEDULE=off).")
        }
        lines.append("")
        lines.append("media type   pending   would take")
        for mediaType in MediaType.allCases {
            guard plan.mediaTypes.contains(mediaType) else {
                lines.append(pad(mediaType.rawValue, 12) + " (no enabled provider)")
                continue
            }
            lines.append(pad(mediaType.rawValue, 12) + pad(String(plan.pending[mediaType] ?? 0), 10, right: true)
                         + pad(String(plan.allocation[mediaType] ?? 0), 13, right: true))
        }
        lines.append(pad("total", 12) + pad(String(plan.pending.values.reduce(0, +)), 10, right: true) + pad(String(plan.total), 13, right: true))
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    struct PlanJSON: Encodable {
        var dryRun = true
        var batchSize: Int
        var force: Bool
        var mediaTypes: [String]
        var pending: [String: Int]
        var allocation: [String: Int]
        var total: Int
    }

    static func json(_ plan: ScanPlan) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let value = PlanJSON(batchSize: plan.batchSize, force: plan.force, mediaTypes: plan.mediaTypes.map(\.rawValue),
                             pending: plan.pending.byName, allocation: plan.allocation.byName, total: plan.total)
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
