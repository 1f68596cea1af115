// GET /healthz -> 200 {"status":"ok"}, Content-Type: application/json, on 127.0.0.1.
// Port: the first argument, else HELLO_PORT, else 8081.
import Foundation
import Hummingbird

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) }
    ?? ProcessInfo.processInfo.environment["HELLO_PORT"].flatMap { Int($0) }
    ?? 8081

let body = ByteBuffer(string: #"{"status":"ok"}"#)
let router = Router()
router.get("/healthz") { _, _ -> Response in
    Response(
        status: .ok,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: body)
    )
}

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil)
)
try await app.runService()
