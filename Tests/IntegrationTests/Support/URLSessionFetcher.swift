import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Outbound

/// A stand-in for the libcurl `HTTPClient` in provider tests: same protocol, same error mapping, over
/// URLSession. It dials anything (the fakes live on loopback, which the real client's policy refuses
/// unless allowed).
final class URLSessionFetcher: HTTPFetching {
    static let userAgent = "Enricher-tests/1.0 ( tests@example.invalid )"

    private let session: URLSession
    private let noRedirects: URLSession
    private let timeout: Duration

    /// `timeout` is the whole exchange's default, as the real client's total timeout.
    init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpAdditionalHeaders = ["User-Agent": Self.userAgent]
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration)
        noRedirects = URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
    }

    deinit {
        session.invalidateAndCancel()
        noRedirects.invalidateAndCancel()
    }

    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .invalidURL(request.url)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        let limit = request.timeout ?? timeout
        // URLSession on Linux fires sub-second timeouts at once, so the total timeout is a timer of
        // our own; URLSession's (whole seconds, later) is only a backstop.
        urlRequest.timeoutInterval = Double(limit.components.seconds + 2)
        for header in request.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }
        let session = request.followRedirects ? self.session : noRedirects
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await withThrowingTaskGroup(of: (Data, URLResponse).self) { group in
                group.addTask { [urlRequest] in try await session.data(for: urlRequest) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw URLError(.timedOut)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw URLError(.unknown) }
                return first
            }
        } catch let error as URLError {
            throw Self.map(error)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .connection("\(error)")
        }
        guard let http = response as? HTTPURLResponse else { throw .connection("not an HTTP response") }
        if let cap = request.maxResponseBytes, data.count > cap { throw .responseTooLarge(limit: cap) }
        let headers = http.allHeaderFields.map { (name: "\($0.key)", value: "\($0.value)") }
        return OutboundResponse(status: http.statusCode, headers: headers, body: Array(data), url: http.url?.absoluteString ?? request.url)
    }

    private static func map(_ error: URLError) -> OutboundError {
        switch error.code {
        case .timedOut: .timeout
        case .badURL, .unsupportedURL: .invalidURL(error.localizedDescription)
        case .httpTooManyRedirects: .tooManyRedirects(limit: 16)
        case .cancelled: .cancelled
        default: .connection(error.localizedDescription)
        }
    }

    private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
}
