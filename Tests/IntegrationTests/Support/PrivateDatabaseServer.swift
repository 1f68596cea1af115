import Foundation

/// A database server of a test's own (SecantusDB, as `scripts/test` runs for the suite), for faults
/// the shared one must not suffer: stopped (SIGSTOP) and continued.
final class PrivateDatabaseServer: @unchecked Sendable {
    // @unchecked Sendable: `process` is set once; Process is used only for its pid and state.
    private let process: Process
    let port: Int

    var uri: String { "mongodb://127.0.0.1:\(port)/?directConnection=true" }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts a server on a free port and returns once it accepts connections.
    static func start() async throws -> PrivateDatabaseServer {
        let port = try FreePort.find()
        let server = PrivateDatabaseServer(process: try launch(port: port), port: port)
        try await server.waitUntilAccepting()
        return server
    }

    /// The process stops answering (its sockets stay open): a hung database.
    func suspend() { kill(process.processIdentifier, SIGSTOP) }

    func resume() { kill(process.processIdentifier, SIGCONT) }

    /// Kills the server for good; for `defer`.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private func waitUntilAccepting() async throws {
        let port = self.port
        try await waitUntil(deadline: .seconds(30), interval: .milliseconds(100)) {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
    }

    private static func launch(port: Int) throws -> Process {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["--host", "127.0.0.1", "--port", String(port), "--storage-path", ":memory:"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// `secantusd-py` from PATH, or from Python's scripts folder (where pip puts it; not always on PATH).
    private static func executable() throws -> URL {
        var folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]
        let pipe = Pipe()
        python.standardOutput = pipe
        if (try? python.run()) != nil {
            python.waitUntilExit()
            let folder = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !folder.isEmpty { folders.append(folder) }
        }
        for folder in folders {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent("secantusd-py")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestFailure("secantusd-py is not installed (scripts/test installs it)")
    }
}
