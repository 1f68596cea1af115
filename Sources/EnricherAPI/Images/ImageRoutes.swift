import EnricherCore
import HTTPCore
import Foundation

/// `/v1/images/{id}` and `/v1/images/{id}/{rendition}`: stored covers, served to catalog UIs. A stored
/// file never changes, so its ETag is its SHA-256 and caches may keep it for a year. Readable without
/// an API key, so an `<img src>` works. Bodies stream from GridFS a chunk at a time.
struct ImageRoutes: Sendable {
    let covers: CoverStore

    func register(in router: inout Router) {
        for pattern in ["/v1/images/{id}", "/v1/images/{id}/{rendition}"] {
            router.add(.GET, pattern, access: .public, respond)
            router.add(.HEAD, pattern, access: .public, respond)
        }
    }

    /// The server sends a HEAD answer's headers only, so GET and HEAD share this; the body is read from
    /// GridFS only when it is written.
    @Sendable private func respond(_ request: RouteRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        let name = request.parameters["rendition"] ?? StoredCover.originalName
        guard id.utf8.count == 64, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
              let cover = try await covers.cover(id) else {
            throw Problem(.notFound, detail: "no image \(id)")
        }
        guard let file = cover.file(name), let blob = try await covers.blobs.blob(file.fileId) else {
            let names = cover.files.map(\.name).joined(separator: ", ")
            throw Problem(.notFound, detail: "image \(id) has no rendition '\(name)'; it has \(names)")
        }
        var headers: HTTPHeaders = [
            "ETag": blob.etag,
            "Cache-Control": "public, max-age=31536000, immutable",
        ]
        if let condition = request.http.headers["If-None-Match"], Self.matches(condition, etag: blob.etag) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        headers["Content-Type"] = blob.contentType
        let store = covers.blobs
        // One GridFS chunk at a time, so a large image never sits whole in memory per request.
        return HTTPResponse(status: .ok, headers: headers, body: .stream(length: blob.bytes) { writer in
            for index in 0..<blob.chunkCount {
                try await writer.write(try await store.chunk(blob, index))
            }
        })
    }

    /// RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly.
    static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
