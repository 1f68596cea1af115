import Foundation
import Testing

/// The server's own limits on connections, seen from a client's socket.
@Suite("Connections", .serialized)
struct ConnectionTests {
    static let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    @Test("past ENRICHER_MAX_CONNECTIONS a new client waits until another one leaves")
    func connectionCap() async throws {
        try await TestService.with(["ENRICHER_MAX_CONNECTIONS": "2"]) { service in
            let port = service.client.port
            var held: [RawConnection] = []
            for _ in 0..<2 {
                let connection = try await RawConnection(port: port)
                try await connection.send(Self.request)
                guard case .data(let response) = try await connection.read(timeout: .seconds(5)) else {
                    throw TestFailure("no answer below the cap")
                }
                #expect(response.hasPrefix("HTTP/1.1 200"))
                held.append(connection)
            }
            try await waitUntil(deadline: .seconds(5)) { service.application.openConnections == 2 }

            let waiting = try await RawConnection(port: port)
            defer { waiting.close() }
            try await waiting.send(Self.request)
            #expect(try await waiting.read(timeout: .milliseconds(500)) == .nothingWithin, "served past the cap")

            held[0].close()
            guard case .data(let response) = try await waiting.read(timeout: .seconds(5)) else {
                throw TestFailure("the waiting client was not served once a slot was free")
            }
            #expect(response.hasPrefix("HTTP/1.1 200"))
            held[1].close()
        }
    }

    @Test("a connection that stops sending mid-request gets 408 and is closed after ENRICHER_HTTP_READ_TIMEOUT_SECONDS")
    func stalledRequest() async throws {
        try await TestService.with(["ENRICHER_HTTP_READ_TIMEOUT_SECONDS": "1"]) { service in
            let clock = ContinuousClock()
            let start = clock.now
            let silent = try await RawConnection(port: service.client.port)
            defer { silent.close() }
            // Half a request line, then silence.
            try await silent.send("GET /heal")
            guard case .data(let answer) = try await silent.read(timeout: .seconds(5)) else {
                throw TestFailure("no 408 before the close")
            }
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(try await silent.read(timeout: .seconds(5)) == .closed)
            #expect(clock.now - start >= .milliseconds(900))
            try await waitUntil(deadline: .seconds(5)) { service.application.openConnections == 0 }
        }
    }

    @Test("an idle keep-alive connection is closed quietly after ENRICHER_HTTP_READ_TIMEOUT_SECONDS")
    func idleTimeout() async throws {
        try await TestService.with(["ENRICHER_HTTP_READ_TIMEOUT_SECONDS": "1"]) { service in
            let clock = ContinuousClock()
            let idle = try await RawConnection(port: service.client.port)
            defer { idle.close() }
            try await idle.send(Self.request)
            guard case .data(let answer) = try await idle.read(timeout: .seconds(5)) else { throw TestFailure("no answer") }
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            let answered = clock.now
            #expect(try await idle.read(timeout: .seconds(5)) == .closed, "an idle connection gets no 408, only the close")
            #expect(clock.now - answered >= .milliseconds(900))
            try await waitUntil(deadline: .seconds(5)) { service.application.openConnections == 0 }
        }
    }
}
