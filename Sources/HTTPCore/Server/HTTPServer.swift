import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 server: accepts connections up to a cap, serves each in a task of its own over
/// non-blocking sockets and one epoll thread, and at shutdown stops accepting, closes idle connections
/// and lets requests in progress finish within the grace period. A `Service`: run it in a `ServiceGroup`.
public final class HTTPServer: Service, Sendable {
    private let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let onFinished: (@Sendable (FinishedRequest) -> Void)?
    private let state: ServerState
    private let listening = Mutex<ListeningState>(.notYet([]))

    private enum ListeningState {
        case notYet([CheckedContinuation<Int, any Error>])
        case port(Int)
        case failed(String)
    }

    /// `onFinished` hears of every request answered, refusals included, right after its answer is written.
    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder, logger: Logger,
                onFinished: (@Sendable (FinishedRequest) -> Void)? = nil) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.onFinished = onFinished
        state = ServerState(maxConnections: configuration.maxConnections)
    }

    /// Connections open right now.
    public var openConnections: Int { state.openConnections }

    /// Requests whose handler is running right now.
    public var requestsInFlight: Int { state.requestsInFlight }

    /// The port once the server listens (the one the kernel picked for port 0).
    public func waitUntilListening() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = listening.withLock { listening in
                switch listening {
                case .port(let port): return .success(port)
                case .failed(let reason): return .failure(ServerError(reason))
                case .notYet(var waiting):
                    waiting.append(continuation)
                    listening = .notYet(waiting)
                    return nil
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private func announce(_ outcome: Result<Int, any Error>) {
        let waiting = listening.withLock { listening -> [CheckedContinuation<Int, any Error>] in
            guard case .notYet(let waiting) = listening else { return [] }
            switch outcome {
            case .success(let port): listening = .port(port)
            case .failure(let error): listening = .failed("\(error)")
            }
            return waiting
        }
        waiting.forEach { $0.resume(with: outcome) }
    }

    /// Listens and serves until a graceful shutdown (then drains) or cancellation (then stops at once).
    public func run() async throws {
        let loop: EventLoop
        let listener: Int32
        do {
            loop = try EventLoop { [state] now in state.expireRequests(now) }
            let bound = try SocketIO.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            listener = bound.descriptor
            announce(.success(bound.port))
            logger.info("listening", metadata: ["host": .string(configuration.host), "port": .stringConvertible(bound.port)])
        } catch {
            announce(.failure(error))
            throw error
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await acceptLoop(listener, loop: loop)
            } onCancel: {
                state.beginStopping()
                loop.drainIdle()
            }
        } onGracefulShutdown: { [state] in
            // Accepting stops, and connections between requests close now (and any that fall idle later);
            // those in the middle of one finish it, within the grace period.
            state.beginStopping()
            loop.drainIdle()
        }
        loop.forget(listener)
        close(listener)
        let drained = Task.isCancelled ? false : await state.waitUntilClosed(within: configuration.shutdownGrace)
        if !drained {
            logger.warning("closing connections still busy at shutdown", metadata: ["open": .stringConvertible(state.openConnections)])
            state.cancelAll()
            _ = await state.waitUntilClosed(within: .seconds(5))
        }
        loop.stop()
    }

    private func acceptLoop(_ listener: Int32, loop: EventLoop) async {
        var warnedExhausted = false
        var connectionsAccepted = 0
        while !state.isStopping {
            // At the cap, stop accepting: clients wait in the kernel's backlog until a connection closes.
            guard await state.waitForSlot() else { return }
            let accepted: SocketIO.Accepted
            do {
                accepted = try SocketIO.accept(listener)
            } catch {
                logger.error("accepting connections failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            switch accepted {
            case .connection(let descriptor):
                warnedExhausted = false
                connectionsAccepted += 1
                let connection = HTTPConnection(descriptor: descriptor, number: connectionsAccepted, loop: loop, configuration: configuration,
                                                responder: responder, logger: logger, onFinished: onFinished, server: state)
                state.opened(connection)
                connection.attach(Task { [state] in
                    await connection.run()
                    state.closed(connection)
                })
            case .wouldBlock:
                // An idle wait: a shutdown ends it, even one that began before the wait did.
                do { try await loop.wait(listener, deadline: nil, idle: true) } catch { if state.isStopping { return } }
            case .exhausted:
                if !warnedExhausted {
                    logger.warning("out of file descriptors; accepting again shortly (lower ENRICHER_MAX_CONNECTIONS or raise ulimit -n)")
                    warnedExhausted = true
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// Why the server could not listen.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What the accept loop and the connections share: the open connections (for the cap and for shutdown),
/// the requests in progress, and whether the server is stopping.
final class ServerState: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: HTTPConnection] = [:]
        var slotWaiter: CheckedContinuation<Bool, Never>?
        var closedWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var expired: Set<Int> = []
        var nextWaiter = 0
        var stopping = false
        var requests = 0
    }
    private let state = Mutex(State())
    private let maxConnections: Int
    /// Request deadlines are kept as nanoseconds since this instant, so a connection can store one atomically.
    private let origin = ContinuousClock.now

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    func nanoseconds(_ instant: ContinuousClock.Instant) -> Int64 {
        let elapsed = origin.duration(to: instant).components
        return max(1, elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }

    /// Ends the requests that have run past their deadline.
    func expireRequests(_ now: ContinuousClock.Instant) {
        let now = nanoseconds(now)
        state.withLock { Array($0.connections.values) }.forEach { $0.expire(at: now) }
    }

    var openConnections: Int { state.withLock { $0.connections.count } }
    var requestsInFlight: Int { state.withLock { $0.requests } }
    var isStopping: Bool { state.withLock { $0.stopping } }

    func requestStarted() { state.withLock { $0.requests += 1 } }
    func requestEnded() { state.withLock { $0.requests -= 1 } }

    func beginStopping() {
        let waiter = state.withLock { state in
            state.stopping = true
            defer { state.slotWaiter = nil }
            return state.slotWaiter
        }
        waiter?.resume(returning: false)
    }

    func opened(_ connection: HTTPConnection) {
        state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
    }

    func closed(_ connection: HTTPConnection) {
        let (slot, closed) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, [CheckedContinuation<Bool, Never>]) in
            state.connections[ObjectIdentifier(connection)] = nil
            var slot: CheckedContinuation<Bool, Never>?
            if state.connections.count < maxConnections {
                slot = state.slotWaiter
                state.slotWaiter = nil
            }
            var closed: [CheckedContinuation<Bool, Never>] = []
            if state.connections.isEmpty {
                closed = Array(state.closedWaiters.values)
                state.closedWaiters = [:]
            }
            return (slot, closed)
        }
        slot?.resume(returning: true)
        closed.forEach { $0.resume(returning: true) }
    }

    /// Returns true once fewer than the cap are open; false when the server is stopping.
    func waitForSlot() async -> Bool {
        await withCheckedContinuation { continuation in
            let answer: Bool? = state.withLock { state in
                if state.stopping { return false }
                if state.connections.count < maxConnections { return true }
                state.slotWaiter = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// True once every connection has closed, false if `limit` passed first.
    func waitUntilClosed(within limit: Duration) async -> Bool {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: limit)
            expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = state.withLock { state in
                if state.connections.isEmpty { return true }
                if state.expired.remove(id) != nil { return false }
                state.closedWaiters[id] = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { state in
            guard let waiter = state.closedWaiters.removeValue(forKey: id) else {
                state.expired.insert(id)
                return nil as CheckedContinuation<Bool, Never>?
            }
            return waiter
        }
        waiter?.resume(returning: false)
    }

    func cancelAll() {
        state.withLock { Array($0.connections.values) }.forEach { $0.cancel() }
    }
}
