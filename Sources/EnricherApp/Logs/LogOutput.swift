import EnricherCore
import Glibc
import Logging
import Synchronization

/// Where the service's logs go: standard error (standard output carries command output), in the format and
/// at the level configured (`ENRICHER_LOG_FORMAT`, `ENRICHER_LOG_LEVEL`).
public enum LogOutput {
    /// Sets up swift-log for the process; call once, before the first logger is made.
    public static func bootstrap(format: LogFormat, level: String) {
        let level = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler(label: label, stream: StandardError.shared)
            case .json: JSONLogHandler(label: label, stream: StandardError.shared)
            }
            handler.logLevel = level
            return handler
        }
    }
}

/// Standard error, one whole line per write: concurrent loggers never interleave inside a line.
struct StandardError: TextOutputStream, Sendable {
    static let shared = StandardError()
    private static let lock = Mutex(())

    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            Self.lock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }
}
