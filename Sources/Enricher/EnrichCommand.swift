import ArgumentParser
import EnricherAPI
import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Logging

/// `enricher enrich --filter ...`: a re-run by filter from the command line, as `POST /v1/enrichments` with a filter.
struct EnrichCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrich",
        abstract: "Re-run the lookups of the entities a filter takes (as POST /v1/enrichments with a filter). The job is stored in the database; a running service writes its tasks and does the work.",
        discussion: """
        Filters (each --filter name=value; all must hold; lists comma-separated):
          mediaTypes=books,movies   statuses=failed,missing   provider=tmdb
          failureReason=timed out   lookedUpBefore=2026-11-01T00:00:00Z   lookedUpAfter=...
        Without --force, entities looked up before are skipped unless their retry is due (imageLookup.retryAt).
        """
    )

    @Option(help: "A JSON configuration file (same as ENRICHER_CONFIG_FILE).")
    var config: String?

    @Option(name: .customLong("filter"), help: "A condition, name=value (repeat for more).")
    var filters: [String] = []

    @Flag(help: "Only count the entities the filter takes; start nothing.")
    var dryRun = false

    @Flag(help: "Look up entities looked up before too, as a forced job does.")
    var force = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let filter: EntityFilter
        switch FilterArguments.parse(filters) {
        case .success(let value): filter = value
        case .failure(let errors):
            throw ValidationError(errors.errors.map { "--filter \($0.pointer.isEmpty ? "" : "\($0.pointer.dropFirst()): ")\($0.detail)" }.joined(separator: "\n"))
        }
        let configuration = try loadConfiguration(file: config, forServing: false)
        LogOutput.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let rerun: Rerun
        do {
            rerun = try await Maintenance.rerun(configuration: configuration, filter: filter, force: force, dryRun: dryRun,
                                                logger: Logger(label: "enricher"))
        } catch {
            FileHandle.standardError.write(Data("enricher: enrich failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let (message, output, failed) = Self.describe(rerun, dryRun: dryRun, limitKey: ConfigurationKey.filterJobMaxEntities.name)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(output) + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data((message + "\n").utf8))
        }
        if failed { throw ExitCode(1) }
    }

    /// What `--json` prints.
    struct Output: Encodable {
        var dryRun: Bool
        var matched: Int
        var jobId: String?
        var limit: Int?
    }

    /// The outcome in words, as JSON, and whether it is a failure.
    static func describe(_ rerun: Rerun, dryRun: Bool, limitKey: String) -> (String, Output, Bool) {
        switch rerun {
        case .counted(let matched):
            ("Dry run: the filter matches \(matched) entit\(matched == 1 ? "y" : "ies"); nothing was started.",
             Output(dryRun: true, matched: matched), false)
        case .noMatch:
            ("The filter matches no entity; nothing was started.", Output(dryRun: dryRun, matched: 0), true)
        case .tooMany(let matched, let limit):
            ("The filter matches \(matched) entities, more than a re-run may take (\(limitKey) = \(limit)); narrow it.",
             Output(dryRun: dryRun, matched: matched, limit: limit), true)
        case .started(let job):
            ("Started \(job.id) over \(job.expansion?.matched ?? job.total) entities; a running service does the work. Follow it with GET /v1/enrichments/\(job.id).",
             Output(dryRun: false, matched: job.expansion?.matched ?? job.total, jobId: job.id), false)
        }
    }
}
