import BSON
import Blocking
import CMongoc
import Synchronization

/// Whether the database answers, judged apart from the work: a ping every `interval` on a connection and
/// a thread of its own, each given `timeout` (socket, connect and server selection), so that a database
/// that hangs (a stopped process, a partition) is noticed within `interval + timeout` however busy or
/// stuck the pool's threads are, and `/readyz` answers at once from the last result.
public final class DatabaseProbe: Sendable {
    public struct Settings: Sendable, Equatable {
        public var interval: Duration
        public var timeout: Duration

        public init(interval: Duration = .seconds(1), timeout: Duration = .seconds(2)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    public let settings: Settings
    private let executor: BlockingExecutor
    private let client: Client
    private let clock = ContinuousClock()
    /// When the database last answered, and what the last failed ping said.
    private let state: Mutex<(answered: ContinuousClock.Instant, failure: String?)>

    init(uri: String, settings: Settings) throws {
        self.settings = settings
        client = try Client(uri: uri, timeoutMS: Int32(clamping: settings.timeout.components.seconds * 1000
                                                          + settings.timeout.components.attoseconds / 1_000_000_000_000_000))
        executor = BlockingExecutor(threads: 1, queueLimit: 1, name: "mongo-probe")
        state = Mutex((clock.now, nil))
    }

    /// Pings until cancelled.
    public func run() async {
        while !Task.isCancelled {
            let client = self.client
            do {
                try await executor.run { try client.ping() }
                let now = clock.now
                state.withLock { $0 = (now, nil) }
            } catch is CancellationError {
                return
            } catch BlockingExecutorError.overloaded {
                // The last ping is still waiting for its answer: it is stuck, which `check` sees by itself.
            } catch {
                state.withLock { $0.failure = "\(error)" }
            }
            try? await Task.sleep(for: settings.interval)
        }
    }

    /// Throws `MongoError.unreachable` when the database has not answered a ping for longer than
    /// `interval + timeout`.
    public func check() throws(MongoError) {
        let (answered, failure) = state.withLock { $0 }
        let silence = answered.duration(to: clock.now)
        guard silence > settings.interval + settings.timeout else { return }
        throw .unreachable(message: "no answer to a ping for \(silence.components.seconds) s\(failure.map { ": \($0)" } ?? "")")
    }

    /// Stops the thread (after a ping in progress ends, within `timeout`) and closes the connection.
    func close() {
        executor.shutdown()
        client.destroy()
    }

    /// A single-threaded libmongoc client, used only on the probe's thread.
    private final class Client: @unchecked Sendable {
        // @unchecked Sendable: the pointer is used only by the probe's one thread; `destroy` runs after it stopped.
        private let pointer: OpaquePointer

        init(uri text: String, timeoutMS: Int32) throws {
            var error = bson_error_t()
            guard let uri = mongoc_uri_new_with_error(text, &error) else { throw MongoError.invalidURI(MongoError(error).description) }
            defer { mongoc_uri_destroy(uri) }
            for option in ["sockettimeoutms", "connecttimeoutms", "serverselectiontimeoutms"] {
                mongoc_uri_set_option_as_int32(uri, option, timeoutMS)
            }
            guard let client = mongoc_client_new_from_uri_with_error(uri, &error) else {
                throw MongoError.invalidURI(MongoError(error).description)
            }
            mongoc_client_set_error_api(client, 2)
            mongoc_client_set_appname(client, "enricher-probe")
            pointer = client
        }

        func ping() throws {
            let command: BSONDocument = ["ping": 1]
            try withReply { reply in
                var error = bson_error_t()
                let ok = try withNativeBSON(command) { mongoc_client_command_simple(pointer, "admin", $0[0], nil, reply, &error) }
                guard ok else { throw MongoError(error) }
            }
        }

        func destroy() { mongoc_client_destroy(pointer) }
    }
}
