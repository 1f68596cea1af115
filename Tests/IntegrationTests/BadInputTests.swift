import Foundation
import Testing

/// Every kind of bad input gets its documented status and a problem+json body, and stores nothing.
@Suite("Bad input", .serialized)
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let method: String
        let path: String
        let body: Data?
        let contentType: String?
        let auth: TestClient.Auth
        let status: Int
        /// Words the problem's detail must contain, so it helps whoever reads it.
        let detail: String
        var pointer: String? = nil
    }

    static let cases: [Case] = [
        Case(description: "malformed JSON", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"title": "Dune""#.utf8),
             contentType: "application/json", auth: .key, status: 400, detail: "not valid JSON"),
        Case(description: "wrong field types", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"title": 42, "year": "1965", "authors": "Frank"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "must be a string", pointer: "/title"),
        Case(description: "a bad ISBN checksum", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"isbn": "978-0-441-01359-0"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "check digit", pointer: "/isbn"),
        Case(description: "a bad EAN checksum", method: "PUT", path: "/v1/entities/movies/x1", body: Data(#"{"barcode": "4006381333932"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "check digit", pointer: "/barcode"),
        Case(description: "a 2 MiB body", method: "PUT", path: "/v1/entities/books/x1",
             body: Data(("{\"title\": \"" + String(repeating: "a", count: 2 << 20) + "\"}").utf8),
             contentType: "application/json", auth: .key, status: 413, detail: "1048576 bytes (ENRICHER_MAX_BODY_BYTES)"),
        Case(description: "an unknown media type", method: "PUT", path: "/v1/entities/vinyls/x1", body: Data(#"{"title": "Blue"}"#.utf8),
             contentType: "application/json", auth: .key, status: 404, detail: "not a media type"),
        Case(description: "no API key", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"title": "Dune"}"#.utf8),
             contentType: "application/json", auth: .none, status: 401, detail: "Authorization: Bearer"),
        Case(description: "a wrong API key", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"title": "Dune"}"#.utf8),
             contentType: "application/json", auth: .custom("Bearer not-the-key-0123456789"), status: 401, detail: "not valid"),
        Case(description: "an unknown field", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"titel": "Dune"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "unknown field", pointer: "/titel"),
        Case(description: "a barcode on a book", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"barcode": "4006381333931"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "books are identified by isbn", pointer: "/barcode"),
        Case(description: "an ftp image URL", method: "PUT", path: "/v1/entities/books/x1", body: Data(#"{"imageUrl": "ftp://example.com/a.jpg"}"#.utf8),
             contentType: "application/json", auth: .key, status: 422, detail: "only http and https", pointer: "/imageUrl"),
        Case(description: "a body that is not JSON", method: "PUT", path: "/v1/entities/books/x1", body: Data("title=Dune".utf8),
             contentType: "application/x-www-form-urlencoded", auth: .key, status: 415, detail: "application/json"),
        Case(description: "an id with a space", method: "PUT", path: "/v1/entities/books/a%20b", body: Data(#"{"title": "Dune"}"#.utf8),
             contentType: "application/json", auth: .key, status: 400, detail: "entity id must be"),
    ]

    @Test("answered with a clear problem, nothing stored", arguments: cases)
    func refused(_ badCase: Case) async throws {
        try await TestService.with { service in
            let response = try await service.client.send(badCase.method, badCase.path, body: badCase.body,
                                                         contentType: badCase.contentType, auth: badCase.auth)
            #expect(response.status == badCase.status, "\(response.text.prefix(300))")
            #expect(response.header("Content-Type") == "application/problem+json")
            let problem = try response.json
            #expect(problem["status"] as? Int == badCase.status)
            #expect((problem["type"] as? String)?.hasPrefix("urn:enricher:problem:") == true)
            #expect(problem["title"] is String)
            let detail = try #require(problem["detail"] as? String)
            #expect(detail.contains(badCase.detail), "detail: \(detail)")
            if let pointer = badCase.pointer {
                let errors = try #require(problem["errors"] as? [[String: Any]])
                #expect(errors.contains { $0["pointer"] as? String == pointer }, "errors: \(errors)")
            }
            if badCase.status == 401 {
                #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            }
            #expect(try await service.database.collection("entities").countDocuments() == 0, "nothing stored")
        }
    }

    @Test("unknown paths and methods are problems too")
    func routing() async throws {
        try await TestService.with { service in
            let unknown = try await service.client.get("/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.header("Content-Type") == "application/problem+json")
            let wrongMethod = try await service.client.send("PATCH", "/v1/entities/books/b1")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "PUT, GET, HEAD, DELETE")
            let badLimit = try await service.client.get("/v1/entities?limit=0")
            #expect(badLimit.status == 400)
            #expect(try badLimit.json["detail"] as? String == "limit must be a whole number from 1 to 500, got '0'")
            let badCursor = try await service.client.get("/v1/entities?cursor=bm90LWEta2V5")
            #expect(badCursor.status == 400)
        }
    }
}
