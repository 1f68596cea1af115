import FlyingFox
import FlyingSocks
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Wraps FlyingFox's socket pool to add what its server lacks:
/// - `TCP_NODELAY`: FlyingFox writes a response's head and body separately, and with Nagle's
///   algorithm the second write waits for the client's delayed ACK, about 40 ms (see STACK.md).
///   Set on the listening socket, it is inherited by every accepted one on Linux; set again on each
///   connection for safety.
/// - a read/write timeout: a connection that makes no progress for `ioTimeout` is closed.
/// - the connection cap: accepting waits while `gate` is full.
struct ServerSocketPool: AsyncSocketPool {
    let inner: any AsyncSocketPool
    let ioTimeout: Duration
    let gate: ConnectionGate

    func prepare() async throws { try await inner.prepare() }

    func run() async throws { try await inner.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        let descriptor = socket.file.rawValue
        Self.setNoDelay(descriptor)
        if Self.isListening(descriptor) {
            // FlyingFox accepts as soon as this returns, so the slot is checked after the client arrives.
            try await inner.suspendSocket(socket, untilReadyFor: events)
            await gate.waitForSlot()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await inner.suspendSocket(socket, untilReadyFor: events) }
            group.addTask { [ioTimeout] in
                try await Task.sleep(for: ioTimeout)
                throw SocketError.disconnected
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private static func setNoDelay(_ descriptor: Int32) {
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private static func isListening(_ descriptor: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value != 0
    }
}
