import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks HTTP over loopback to a service under test, as the catalog app would.
struct TestClient: Sendable {
    let port: Int
    let apiKey: String
    let session: URLSession

    init(port: Int, apiKey: String) {
        self.port = port
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 64
        session = URLSession(configuration: configuration)
    }

    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        /// The body as a JSON object.
        var json: [String: Any] {
            get throws {
                guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                    throw TestFailure("body is not a JSON object: \(text)")
                }
                return object
            }
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Auth { case key, none, custom(String) }

    func send(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
              contentType: String? = nil, auth: Auth = .key, headers: [String: String] = [:]) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        switch auth {
        case .key: request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        case .none: break
        case .custom(let value): request.setValue(value, forHTTPHeaderField: "Authorization")
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return Response(status: http.statusCode, headers: headers, body: data)
    }

    func get(_ path: String) async throws -> Response { try await send("GET", path) }
    func put(_ path: String, _ json: Any) async throws -> Response { try await send("PUT", path, json: json) }
    func post(_ path: String, _ json: Any) async throws -> Response { try await send("POST", path, json: json) }
    func delete(_ path: String) async throws -> Response { try await send("DELETE", path) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
