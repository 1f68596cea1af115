import EnricherCore
import FlyingFox
import FlyingSocks
import Foundation

/// `/v1/images/{id}` and `/v1/images/{id}/{rendition}`: stored covers, served to catalog UIs. A stored
/// file never changes, so its ETag is its SHA-256 and caches may keep it for a year. Readable without
/// an API key, so an `<img src>` works. Bodies stream from GridFS a chunk at a time.
struct ImageRoutes: Sendable {
    let covers: CoverStore

    static let pathPrefix = "/v1/images/"

    func register(in router: inout Router) {
        router.add(.GET, "/v1/images/{id}") { try await respond($0, withBody: true) }
        router.add(.HEAD, "/v1/images/{id}") { try await respond($0, withBody: false) }
        router.add(.GET, "/v1/images/{id}/{rendition}") { try await respond($0, withBody: true) }
        router.add(.HEAD, "/v1/images/{id}/{rendition}") { try await respond($0, withBody: false) }
    }

    private func respond(_ request: RouteRequest, withBody: Bool) async throws -> HTTPResponse {
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
            .eTag: blob.etag,
            HTTPHeader("Cache-Control"): "public, max-age=31536000, immutable",
        ]
        if let condition = request.http.headers[HTTPHeader("If-None-Match")], Self.matches(condition, etag: blob.etag) {
            return HTTPResponse(statusCode: .notModified, headers: headers)
        }
        headers[.contentType] = blob.contentType
        headers[.contentLength] = String(blob.bytes)
        guard withBody else { return HTTPResponse(statusCode: .ok, headers: headers) }
        let body = HTTPBodySequence(from: GridFSChunks(store: covers.blobs, blob: blob), count: blob.bytes)
        return HTTPResponse(statusCode: .ok, headers: headers, body: body)
    }

    /// RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly.
    static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}

/// A stored file's bytes, read from GridFS one chunk at a time as the response is written, so a large
/// image never sits whole in memory per request.
struct GridFSChunks: AsyncBufferedSequence {
    typealias Element = UInt8
    let store: ImageStore
    let blob: StoredBlob

    func makeAsyncIterator() -> Iterator { Iterator(store: store, blob: blob) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        let store: ImageStore
        let blob: StoredBlob
        var next = 0
        var buffer: ArraySlice<UInt8> = []

        mutating func next() async throws -> UInt8? {
            guard let slice = try await nextBuffer(suggested: 1) else { return nil }
            return slice.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            if buffer.isEmpty {
                guard next < blob.chunkCount else { return nil }
                buffer = try await store.chunk(blob, next)[...]
                next += 1
                if buffer.isEmpty { return nil }
            }
            let taken = buffer.prefix(Swift.max(1, count))
            buffer = buffer.dropFirst(taken.count)
            return taken
        }
    }
}
