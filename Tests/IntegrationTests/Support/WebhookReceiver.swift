import Foundation
import HTTPCore
import Synchronization

/// A local receiver of webhooks: records every delivery (headers, exact body, time) and answers each in
/// turn from a script, then with `then` for the rest.
final class WebhookReceiver: Sendable {
    enum Answer: Sendable {
        case status(Int, headers: [String: String] = [:])
        /// Answers 200 after the delay (a receiver slower than the sender's timeout).
        case slow(Duration)
    }

    struct Delivery: Sendable {
        var headers: [String: String]
        var body: Data
        var time: ContinuousClock.Instant
        var id: String { headers["webhook-id"] ?? "" }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    private struct State {
        var script: [Answer]
        var then: Answer
        var deliveries: [Delivery] = []
    }

    let port: UInt16
    private let server: LoopbackServer
    private let state: Mutex<State>

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var deliveries: [Delivery] { state.withLock { $0.deliveries } }

    private init(server: LoopbackServer, script: [Answer], then: Answer) {
        self.port = server.port
        self.server = server
        state = Mutex(State(script: script, then: then))
    }

    /// Starts listening on `port` (0: a free one).
    static func start(port: UInt16 = 0, script: [Answer] = [], then: Answer = .status(204)) async throws -> WebhookReceiver {
        let server = try await LoopbackServer.start(port: port, timeout: .seconds(60))
        let receiver = WebhookReceiver(server: server, script: script, then: then)
        server.handle { [weak receiver] request in
            guard let receiver else { return HTTPResponse(status: .serviceUnavailable) }
            return try await receiver.handle(request)
        }
        return receiver
    }

    func stop() async {
        await server.stop()
    }

    /// Starts a receiver, runs `body` with it, and stops it however `body` ends.
    static func with<T>(script: [Answer] = [], then: Answer = .status(204), _ body: (WebhookReceiver) async throws -> T) async throws -> T {
        let receiver = try await start(script: script, then: then)
        do {
            let result = try await body(receiver)
            await receiver.stop()
            return result
        } catch {
            await receiver.stop()
            throw error
        }
    }

    private func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = Data(request.body)
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.lowercased()] = value }
        let answer = state.withLock { state -> Answer in
            state.deliveries.append(Delivery(headers: headers, body: body, time: .now))
            return state.script.isEmpty ? state.then : state.script.removeFirst()
        }
        switch answer {
        case .status(let code, let extra):
            let body = code == 204 ? [] : Array("answered \(code)".utf8)
            var response = HTTPResponse(status: HTTPStatus(code, "Answer"), bytes: body)
            for (name, value) in extra { response.headers[name] = value }
            return response
        case .slow(let delay):
            try await Task.sleep(for: delay)
            return HTTPResponse(status: .ok, bytes: Array("late".utf8))
        }
    }

    /// Waits until at least `count` deliveries arrived.
    func waitForDeliveries(_ count: Int, deadline: Duration = .seconds(30)) async throws {
        try await waitUntil(deadline: deadline, interval: .milliseconds(20)) { self.deliveries.count >= count }
    }
}
