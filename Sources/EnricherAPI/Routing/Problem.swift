import EnricherCore
import HTTPCore
import Foundation

/// An RFC 9457 problem, the body of every error response.
struct Problem: Error, Sendable, Codable, Equatable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var instance: String?
    var errors: [FieldError]?
    /// Extra response headers (Allow, WWW-Authenticate); not part of the body.
    var headers: [String: String] = [:]

    enum CodingKeys: String, CodingKey { case type, title, status, detail, instance, errors }

    init(_ kind: Kind, detail: String, errors: [FieldError]? = nil, headers: [String: String] = [:]) {
        type = "urn:enricher:problem:\(kind.rawValue)"
        title = kind.title
        status = kind.status
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// Every kind of problem the API answers with; the contract lists the same.
    enum Kind: String, CaseIterable {
        case validation, malformedJSON = "malformed-json", badRequest = "bad-request", unauthorized
        case notFound = "not-found", methodNotAllowed = "method-not-allowed", conflict, payloadTooLarge = "payload-too-large"
        case unsupportedMediaType = "unsupported-media-type", unavailable, internalError = "internal"
        // Refused by the server while reading the request.
        case requestTimeout = "request-timeout", uriTooLong = "uri-too-long", expectationFailed = "expectation-failed"
        case headersTooLarge = "headers-too-large", notImplemented = "not-implemented"
        case versionNotSupported = "version-not-supported"

        /// The kind the server's own refusals map to.
        init?(status: Int) {
            guard let kind = Self.allCases.first(where: { $0.status == status && $0 != .malformedJSON && $0 != .validation }) else { return nil }
            self = kind
        }

        var status: Int {
            switch self {
            case .validation: 422
            case .malformedJSON, .badRequest: 400
            case .unauthorized: 401
            case .notFound: 404
            case .methodNotAllowed: 405
            case .conflict: 409
            case .payloadTooLarge: 413
            case .unsupportedMediaType: 415
            case .unavailable: 503
            case .internalError: 500
            case .requestTimeout: 408
            case .uriTooLong: 414
            case .expectationFailed: 417
            case .headersTooLarge: 431
            case .notImplemented: 501
            case .versionNotSupported: 505
            }
        }

        var title: String {
            switch self {
            case .validation: "The request is not valid"
            case .malformedJSON: "The body is not valid JSON"
            case .badRequest: "Bad request"
            case .unauthorized: "Authentication required"
            case .notFound: "Not found"
            case .methodNotAllowed: "Method not allowed"
            case .conflict: "Conflict"
            case .payloadTooLarge: "Request body too large"
            case .unsupportedMediaType: "Unsupported media type"
            case .unavailable: "Service unavailable"
            case .internalError: "Internal error"
            case .requestTimeout: "Request timeout"
            case .uriTooLong: "Request line too long"
            case .expectationFailed: "Expectation failed"
            case .headersTooLarge: "Request header fields too large"
            case .notImplemented: "Not implemented"
            case .versionNotSupported: "HTTP version not supported"
            }
        }
    }

    static func validation(_ errors: FieldErrors) -> Problem {
        Problem(.validation, detail: errors.summary, errors: errors.errors)
    }

    func response(instance path: String?) -> HTTPResponse {
        var problem = self
        problem.instance = path
        var response = JSONResponse.make(statusCode: HTTPStatus(status, title), body: problem, contentType: "application/problem+json")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { response.headers[name] = value }
        return response
    }
}
