import ArgumentParser
import EnricherCore

/// The `enricher` command: `serve` runs the service, `config check` validates settings, `images reconcile` and `scan --dry-run` and `enrich --filter` help operators.
@main
struct Enricher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enricher",
        abstract: "Finds cover images for a media catalog's entities.",
        version: EnricherVersion.current,
        subcommands: [Serve.self, ConfigCommand.self, ImagesCommand.self, ScanCommand.self, EnrichCommand.self],
        defaultSubcommand: Serve.self
    )
}
