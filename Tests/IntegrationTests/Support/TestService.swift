import EnricherApp
import EnricherCore
import Foundation
import Logging
import MongoDB
import Synchronization
import Testing

/// The database server scripts/test started for this run.
enum TestDatabase {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "ENRICHER_TEST_MONGODB_URI is not set: run the tests with scripts/test, which starts a database server" }
    }

    static func uri() throws -> String {
        guard let uri = ProcessInfo.processInfo.environment["ENRICHER_TEST_MONGODB_URI"], !uri.isEmpty else { throw NotConfigured() }
        return uri
    }

    /// A database name no other test uses.
    static func uniqueName(_ prefix: String = "t") -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// One connection pool, kept for the whole run, that drops the databases tests are done with (a new
    /// pool per drop would spend its first connection's set-up every time).
    private static let cleaner = Mutex<MongoDatabase?>(nil)

    static func drop(_ name: String) async throws {
        let pool = try cleaner.withLock { pool in
            if pool == nil { pool = try MongoDatabase(.init(uri: try uri(), databaseName: "admin", threads: 1)) }
            return pool!
        }
        _ = try? await pool.command(["dropDatabase": 1], database: name)
    }

    /// Runs `body` with a database of its own (named `prefix_...`), dropped and closed afterwards.
    @discardableResult
    static func with<T>(_ prefix: String, threads: Int = 4, _ body: (MongoDatabase) async throws -> T) async throws -> T {
        let database = try MongoDatabase(.init(uri: try uri(), databaseName: uniqueName(prefix), threads: threads))
        do {
            let result = try await body(database)
            _ = try? await database.command(["dropDatabase": 1])
            await database.close()
            return result
        } catch {
            _ = try? await database.command(["dropDatabase": 1])
            await database.close()
            throw error
        }
    }
}

/// A real Enricher, in this process, on a free loopback port, with its own database.
struct TestService {
    static let apiKey = "test-key-0123456789abcdef"
    let application: Application
    let client: TestClient

    var database: MongoDatabase { application.database }

    /// Starts a service, runs `body` against it, then stops it and drops its database, unless
    /// `keepDatabase` (a restart test names the database in `settings` and starts a second service on it).
    static func with<T>(
        _ settings: [String: String] = [:],
        keepDatabase: Bool = false,
        _ body: (TestService) async throws -> T
    ) async throws -> T {
        var environment = [
            "MONGODB_URI": try TestDatabase.uri(),
            "ENRICHER_DATABASE": TestDatabase.uniqueName(),
            "ENRICHER_HOST": "127.0.0.1",
            "ENRICHER_PORT": "0",
            "ENRICHER_API_KEYS": apiKey,
            "ENRICHER_DB_STARTUP_TIMEOUT_SECONDS": "20",
            // No scan may start on its own in the middle of a test; scan tests start theirs.
            "ENRICHER_SCAN_SCHEDULE": "off",
        ]
        environment.merge(settings) { $1 }
        let configuration = try Configuration(environment: environment)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let application = try await Application(configuration: configuration, logger: logger)
        let running = Task { try await application.run() }
        let port: Int
        do {
            port = try await application.waitUntilListening()
        } catch {
            running.cancel()
            throw error
        }
        let service = TestService(application: application, client: TestClient(port: port, apiKey: apiKey))
        do {
            let result = try await body(service)
            try await service.shutdown(running, dropDatabase: !keepDatabase)
            return result
        } catch {
            try? await service.shutdown(running, dropDatabase: !keepDatabase)
            throw error
        }
    }

    /// Stops the service, then drops its database over a connection of its own (the service's is closed
    /// by then, and dropping it earlier would let the still-running service write it anew).
    private func shutdown(_ running: Task<Void, any Error>, dropDatabase: Bool) async throws {
        await application.stop()
        try await running.value
        if dropDatabase { try await TestDatabase.drop(application.configuration.database.name) }
    }
}
