import Foundation
import HTTPCore

extension RouteRequest {
    /// The JSON body: 415 unless it is declared JSON, 400 when empty. (Its size was bounded by the
    /// server, which answers 413 past `ENRICHER_MAX_BODY_BYTES` before a handler runs.)
    func jsonBody() throws -> JSONValue {
        try JSONValue.parse(try rawJSONBody())
    }

    /// The body's bytes exactly as sent (a signature covers them), with the same checks as `jsonBody`.
    func rawJSONBody() throws -> Data {
        let contentType = http.headers["Content-Type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/json" else {
            throw Problem(.unsupportedMediaType, detail: "send the body as application/json (got \(contentType.map { "'\($0)'" } ?? "no Content-Type"))")
        }
        if http.body.isEmpty {
            throw Problem(.malformedJSON, detail: "the request body is empty; send a JSON object")
        }
        return Data(http.body)
    }

    /// Whether the request carries a body.
    var hasBody: Bool { !http.body.isEmpty }
}
