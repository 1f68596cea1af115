import FlyingFox
import Foundation

extension RouteRequest {
    /// Reads a JSON body of at most `limit` bytes: 415 unless it is declared JSON, 413 past the limit
    /// (checked against Content-Length before reading, and again while reading a chunked body).
    func jsonBody(limit: Int) async throws -> JSONValue {
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
        return try JSONValue.parse(body)
    }

    private static func tooLarge(limit: Int, detail: String) -> Problem {
        Problem(.payloadTooLarge, detail: "the request body is \(detail), the limit is \(limit) bytes (ENRICHER_MAX_BODY_BYTES)")
    }
}
