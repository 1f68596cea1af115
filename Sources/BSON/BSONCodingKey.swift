/// A coding key for document keys known only at run time ("super", arbitrary document keys).
struct BSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    static let superKey = BSONCodingKey(stringValue: "super")
}

/// The coding key of an array element, so coding paths can render it as `items[2]`.
struct BSONIndexKey: CodingKey {
    let index: Int

    init(_ index: Int) {
        self.index = index
    }

    init?(stringValue: String) {
        guard let index = Int(stringValue) else { return nil }
        self.index = index
    }

    init?(intValue: Int) {
        self.index = intValue
    }

    var stringValue: String { String(index) }
    var intValue: Int? { index }
}

/// Renders a coding path for error messages: `imageLookup.lookupAttemptedAt`, `items[2].name`.
/// The top level renders as an empty string.
func renderCodingPath(_ path: [any CodingKey]) -> String {
    var rendered = ""
    for key in path {
        if let indexKey = key as? BSONIndexKey {
            rendered += "[\(indexKey.index)]"
        } else {
            if !rendered.isEmpty { rendered += "." }
            rendered += key.stringValue
        }
    }
    return rendered
}
