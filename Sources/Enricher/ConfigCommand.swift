import ArgumentParser
import EnricherApp
import EnricherCore
import Enrichment
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [Check.self, Docs.self]
    )

    struct Docs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration reference (docs/configuration.md) made from the settings table: every setting with its default and meaning."
        )

        func run() throws {
            let markdown = ConfigurationDocument.markdown(ConfigurationKey.sections(providers: ProviderCatalog.all.keys))
            FileHandle.standardOutput.write(Data(markdown.utf8))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print the effective values (secrets redacted); exit 2 when invalid."
        )

        @Option(help: "A JSON configuration file (same as ENRICHER_CONFIG_FILE).")
        var config: String?

        func run() throws {
            let configuration = try loadConfiguration(file: config, forServing: true)
            let width = configuration.effective.map(\.key.count).max() ?? 0
            let lines = configuration.effective.map { $0.key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.value }
            FileHandle.standardOutput.write(Data((["configuration is valid"] + lines).joined(separator: "\n").appending("\n").utf8))
        }
    }
}
