import ArgumentParser
import EnricherApp
import EnricherCore
import Foundation
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API and background work until SIGTERM or SIGINT.")

    @Option(help: "A JSON configuration file (same as ENRICHER_CONFIG_FILE).")
    var config: String?

    func run() async throws {
        let configuration = try loadConfiguration(file: config, forServing: true)
        LogOutput.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let logger = Logger(label: "enricher")
        // A few short lines say what matters (this one, the database, the providers, the address, the next
        // scan); every setting is at GET /v1/config and `enricher config check`.
        var metadata: Logger.Metadata = ["version": "\(EnricherVersion.current)", "pid": "\(getpid())"]
        if let file = configuration.effective.first(where: { $0.key == ConfigurationKey.configFile.name })?.value, !file.isEmpty {
            metadata["configFile"] = "\(file)"
        }
        logger.info("starting", metadata: metadata)
        let application: Application
        do {
            application = try await Application(configuration: configuration, logger: logger, signals: [.sigterm, .sigint])
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        do {
            try await application.run()
        } catch {
            logger.critical("stopped on an error: \(error)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}

/// Reads the configuration from the environment (and a file), exiting with the offending key's name when invalid.
func loadConfiguration(file: String?, forServing: Bool) throws -> Configuration {
    var environment = ProcessInfo.processInfo.environment
    if let file { environment[ConfigurationKey.configFile.name] = file }
    do {
        let configuration = try Configuration(environment: environment)
        try Application.validate(configuration)
        if forServing { try configuration.validateForServing() }
        return configuration
    } catch {
        FileHandle.standardError.write(Data("enricher: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
