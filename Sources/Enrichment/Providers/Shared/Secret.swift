/// A credential. It prints and reflects as `<redacted>`, so a dumped provider (a test failure, a
/// `debug` log of a value) never shows it.
struct Secret: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    let value: String

    init(_ value: String?) { self.value = value ?? "" }

    var description: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: []) }
}
