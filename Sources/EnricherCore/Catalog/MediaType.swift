/// The catalog's media types, named as the catalog names them.
public enum MediaType: String, Sendable, Codable, CaseIterable, Hashable {
    case books, movies, games, musics

    /// Which identifier the catalog keeps for this type.
    public var identifier: IdentifierKind {
        self == .books ? .isbn : .barcode
    }

    /// Every value, for error messages ("books, movies, games, musics").
    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The product identifier an entity carries: books an ISBN, everything else a retail barcode.
public enum IdentifierKind: String, Sendable {
    case isbn, barcode
}

extension Dictionary where Key == MediaType {
    /// The same values keyed by media type name, as JSON shows them.
    public var byName: [String: Value] {
        Dictionary<String, Value>(uniqueKeysWithValues: map { ($0.key.rawValue, $0.value) })
    }
}
