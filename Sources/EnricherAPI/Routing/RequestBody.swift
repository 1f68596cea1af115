import FlyingFox
import Foundation

extension RouteRequest {
    /// Reads a JSON body of at most `limit` bytes: 415 unless it is declared JSON, 413 past the limit
    /// (checked against Content-Length before reading, and again while reading a chunked body).
    func jsonBody(limit: Int) async throws -> JSONValue {
        try JSONValue.parse(try await rawJSONBody(limit: limit))
    }

    /// The body's bytes exactly as sent (a signature covers them), with the same checks as `jsonBody`.
    func rawJSONBody(limit: Int) async throws -> Data {
        let contentType = http.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/json" else {
            throw Problem(.unsupportedMediaType, detail: "send the body as application/json (got \(contentType.map { "'\($0)'" } ?? "no Content-Type"))")
        }
        if let length = http.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Self.tooLarge(limit: limit, detail: "\(length) bytes")
        }
        var body = Data()
        for try await chunk in http.bodySequence {
            body.append(chunk)
            if body.count > limit { throw Self.tooLarge(limit: limit, detail: "more") }
        }
        if body.isEmpty {
            throw Problem(.malformedJSON, detail: "the request body is empty; send a JSON object")
        }
        return body
    }

    /// Whether the request carries a body (a Content-Length above 0, or a chunked one).
    var hasBody: Bool {
        if let length = http.headers[.contentLength].flatMap({ Int($0) }) { return length > 0 }
        return http.headers[HTTPHeader("Transfer-Encoding")] != nil
    }

    private static func tooLarge(limit: Int, detail: String) -> Problem {
        Problem(.payloadTooLarge, detail: "the request body is \(detail), the limit is \(limit) bytes (ENRICHER_MAX_BODY_BYTES)")
    }
}
