import EnricherCore
import Logging
import Outbound

/// The real libcurl client, allowed to reach the fakes on 127.0.0.1 and nothing else private.
enum LoopbackHTTP {
    static let policy = AddressPolicy(allowed: [AddressRange("127.0.0.1/32")!])

    static let userAgent = EnricherVersion.userAgent(contact: "tests@example.org")

    static func client(timeout: Duration) -> Outbound.HTTPClient {
        var logger = Logger(label: "loopback-http")
        logger.logLevel = .warning
        return Outbound.HTTPClient(configuration: .init(
            userAgent: userAgent,
            connectTimeout: .seconds(2), timeout: timeout, addressPolicy: policy
        ), logger: logger)
    }

    /// Shared by the tests: one transfer thread and one connection cache for the whole run.
    static let shared = client(timeout: .seconds(10))
    /// For the timeout cases: the fakes' slow answers take longer than this.
    static let impatient = client(timeout: .milliseconds(300))
}
