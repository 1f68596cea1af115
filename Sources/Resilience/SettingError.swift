/// A resilience configuration value that cannot work, named by its key so start-up can fail with a
/// message pointing at the setting.
public enum SettingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(key, reason): "invalid \(key): \(reason)"
        }
    }
}
