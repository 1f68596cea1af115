import Outbound
import Testing

let testUserAgent = "EnricherTests/1.0 (+https://example.org/enricher)"

/// A client that may dial only `allowed` (by default 127.0.0.1, where the test servers listen).
func makeClient(allowing allowed: [String] = ["127.0.0.1"],
                _ adjust: (inout HTTPClient.Configuration) -> Void = { _ in }) throws -> HTTPClient {
    let ranges = try allowed.map { try #require(AddressRange($0)) }
    var configuration = HTTPClient.Configuration(userAgent: testUserAgent, addressPolicy: AddressPolicy(allowed: ranges))
    adjust(&configuration)
    return HTTPClient(configuration: configuration)
}
