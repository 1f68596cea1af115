import EnricherCore
import FlyingFox
import Foundation

/// `/v1/images/{id}`: stored covers, served to catalog UIs. Content-addressed, so they never change:
/// the ETag is the hash and caches may keep them forever. Readable without an API key, so an
/// `<img src>` works.
struct ImageRoutes: Sendable {
    let images: ImageStore

    static let pathPrefix = "/v1/images/"

    func register(in router: inout Router) {
        router.add(.GET, "/v1/images/{id}", get)
        router.add(.HEAD, "/v1/images/{id}", head)
    }

    @Sendable func get(_ request: RouteRequest) async throws -> HTTPResponse {
        try await respond(request, withBody: true)
    }

    @Sendable func head(_ request: RouteRequest) async throws -> HTTPResponse {
        try await respond(request, withBody: false)
    }

    private func respond(_ request: RouteRequest, withBody: Bool) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        let notFound = Problem(.notFound, detail: "no image \(id)")
        guard id.utf8.count == 64, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw notFound }
        guard let image = try await images.metadata(id) else { throw notFound }
        var headers: HTTPHeaders = [
            .eTag: image.etag,
            HTTPHeader("Cache-Control"): "public, max-age=31536000, immutable",
        ]
        if let condition = request.http.headers[HTTPHeader("If-None-Match")], Self.matches(condition, etag: image.etag) {
            return HTTPResponse(statusCode: .notModified, headers: headers)
        }
        headers[.contentType] = image.contentType
        guard withBody else {
            headers[.contentLength] = String(image.bytes)
            return HTTPResponse(statusCode: .ok, headers: headers)
        }
        guard let bytes = try await images.read(id) else { throw notFound }
        return HTTPResponse(statusCode: .ok, headers: headers, body: Data(bytes))
    }

    /// RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly.
    static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
