/// A libvips call failed; `message` is libvips' own text.
///
/// libvips keeps one error buffer per process, so when several calls fail at the same moment a message
/// can be attributed to the wrong one: use it as a detail for people, never to decide anything.
public struct LibVipsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { "libvips: \(message)" }
}
