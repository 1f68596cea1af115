import ArgumentParser
import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Logging

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Look after stored covers.",
        subcommands: [Reconcile.self]
    )

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report drift between entities and stored covers (missing renditions, references to covers that are gone); --repair fixes it. Prints a JSON report; exits 1 when drift remains."
        )

        @Option(help: "A JSON configuration file (same as ENRICHER_CONFIG_FILE).")
        var config: String?

        @Flag(help: "Make missing renditions again and clear references to covers that are gone.")
        var repair = false

        func run() async throws {
            let configuration = try loadConfiguration(file: config, forServing: false)
            // Logs go to standard error: standard output carries the report.
            LogOutput.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
            let logger = Logger(label: "enricher")
            let report: ReconcileReport
            do {
                report = try await Maintenance.reconcileImages(configuration: configuration, repair: repair, logger: logger)
            } catch {
                FileHandle.standardError.write(Data("enricher: reconcile failed: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
            let fixed = repair && report.brokenCovers.isEmpty
            if !report.isClean && !fixed { throw ExitCode(1) }
        }
    }
}
