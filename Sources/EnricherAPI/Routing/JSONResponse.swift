import EnricherCore
import Foundation
import HTTPCore

/// JSON in and out with one set of rules: camelCase, dates as ISO 8601 UTC with milliseconds.
enum JSONResponse {
    static func make(statusCode: HTTPStatus, body: some Encodable, contentType: String = "application/json") -> HTTPResponse {
        let data: Data
        do {
            data = try EnricherJSON.encoder.encode(body)
        } catch {
            // Our own response types always encode; this is a programming error worth a clear 500.
            let fallback = #"{"type":"urn:enricher:problem:internal","title":"Internal error","status":500,"detail":"response could not be encoded"}"#
            return HTTPResponse(status: .internalServerError, headers: ["Content-Type": "application/problem+json"], bytes: Array(fallback.utf8))
        }
        return HTTPResponse(status: statusCode, headers: ["Content-Type": contentType], bytes: Array(data))
    }
}
