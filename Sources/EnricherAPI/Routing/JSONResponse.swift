import EnricherCore
import FlyingFox
import Foundation

/// JSON in and out with one set of rules: camelCase, dates as ISO 8601 UTC with milliseconds.
enum JSONResponse {
    static func make(statusCode: HTTPStatusCode, body: some Encodable, contentType: String = "application/json") -> HTTPResponse {
        let data: Data
        do {
            data = try EnricherJSON.encoder.encode(body)
        } catch {
            // Our own response types always encode; this is a programming error worth a clear 500.
            data = Data(#"{"type":"urn:enricher:problem:internal","title":"Internal error","status":500,"detail":"response could not be encoded"}"#.utf8)
            return HTTPResponse(statusCode: .internalServerError, headers: [.contentType: "application/problem+json"], body: data)
        }
        return HTTPResponse(statusCode: statusCode, headers: [.contentType: contentType], body: data)
    }
}
