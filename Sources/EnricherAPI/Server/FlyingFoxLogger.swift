import FlyingSocks
import Logging

/// Routes FlyingFox's own log lines into swift-log, and counts connections for the `ConnectionGate`.
///
/// FlyingFox 0.27.1 reports each connection only through its logger: `HTTPServer.handleConnection`
/// logs "<host> open connection" when it starts serving one and "<host> close connection" when it is
/// done, once each. The package pins that exact version; `ConnectionLimitTests` fails if this changes.
struct FlyingFoxLogger: FlyingSocks.Logging {
    let logger: Logger
    let gate: ConnectionGate
    let stopping: StopFlag

    func logDebug(_ debug: @autoclosure () -> String) {
        logger.trace("\(debug())", metadata: ["component": "flyingfox"])
    }

    func logInfo(_ info: @autoclosure () -> String) {
        let message = info()
        if message.hasSuffix(" open connection") {
            gate.opened()
        } else if message.hasSuffix(" close connection") {
            gate.closed()
        }
        logger.trace("\(message)", metadata: ["component": "flyingfox"])
    }

    func logWarning(_ warning: @autoclosure () -> String) {
        logger.warning("\(warning())", metadata: ["component": "flyingfox"])
    }

    func logError(_ error: @autoclosure () -> String) {
        // Per-connection errors (a client hanging up, a timeout) are routine for a server.
        logger.debug("\(error())", metadata: ["component": "flyingfox"])
    }

    func logCritical(_ critical: @autoclosure () -> String) {
        // Ending the server's task during shutdown makes FlyingFox report its cancellation as critical.
        logger.log(level: stopping.isSet ? .debug : .critical, "\(critical())", metadata: ["component": "flyingfox"])
    }
}
