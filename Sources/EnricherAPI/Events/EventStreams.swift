import Enrichment
import Synchronization

/// The live event streams of this instance: how many are open (at most `maxStreams`), what wakes them
/// when this instance's relay logged events, and their end at shutdown. The composition root makes one
/// and closes it before the HTTP server drains, so no stream holds the shutdown up.
public final class EventStreams: Sendable {
    public struct Settings: Sendable {
        /// A `: heartbeat` comment after this long without an event.
        public var heartbeat: Duration
        /// How often a stream looks for events other instances logged.
        public var poll: Duration
        public var maxStreams: Int
        /// Events read from the log at once.
        public var pageSize: Int

        public init(heartbeat: Duration, poll: Duration, maxStreams: Int, pageSize: Int) {
            self.heartbeat = heartbeat
            self.poll = poll
            self.maxStreams = maxStreams
            self.pageSize = pageSize
        }
    }

    let settings: Settings
    let log: EventLog
    let jobs: JobStore
    /// Woken when this instance's relay appended events; closed at shutdown.
    let logged: WorkSignal
    private let state = Mutex<(open: Int, closing: Bool)>((0, false))

    public init(settings: Settings, log: EventLog, jobs: JobStore, logged: WorkSignal) {
        self.settings = settings
        self.log = log
        self.jobs = jobs
        self.logged = logged
    }

    /// Streams open right now.
    public var open: Int { state.withLock { $0.open } }

    var isClosing: Bool { state.withLock { $0.closing } }

    /// Ends every stream at once, cleanly (each finishes the event it is writing and ends its body), and
    /// refuses new ones.
    public func close() {
        state.withLock { $0.closing = true }
        logged.close()
    }

    /// A place for one more stream, held until its `Admission` is released (when the response that
    /// carries it is gone, whether its body was written, the client left, or it was a HEAD), or the
    /// problem to answer instead.
    func admit() throws(Problem) -> Admission {
        let refusal: Problem? = state.withLock { state in
            if state.closing {
                return Problem(.unavailable, detail: "the service is shutting down; reconnect (with Last-Event-ID) in a moment",
                               headers: ["Retry-After": "1"])
            }
            guard state.open < settings.maxStreams else {
                return Problem(.unavailable, detail: "this instance serves \(settings.maxStreams) event streams already (ENRICHER_EVENTS_MAX_STREAMS); try again shortly",
                               headers: ["Retry-After": "5"])
            }
            state.open += 1
            return nil
        }
        if let refusal { throw refusal }
        return Admission(streams: self)
    }

    fileprivate func release() { state.withLock { $0.open -= 1 } }
}

/// One admitted stream's place; gives it back when released.
final class Admission: Sendable {
    private let streams: EventStreams

    fileprivate init(streams: EventStreams) { self.streams = streams }

    deinit { streams.release() }
}
