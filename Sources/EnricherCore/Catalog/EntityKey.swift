/// Identifies one entity: the catalog's own ID is unique within a media type.
public struct EntityKey: Sendable, Hashable, CustomStringConvertible {
    public let mediaType: MediaType
    public let id: String

    public init(mediaType: MediaType, id: String) {
        self.mediaType = mediaType
        self.id = id
    }

    /// Catalog IDs are URL-safe tokens: MongoDB ObjectIDs, UUIDs, slugs.
    public static func isValidID(_ id: String) -> Bool {
        (1...maxIDLength).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    public static let maxIDLength = 128
    public static let idRule = "1 to 128 characters from A-Z a-z 0-9 . _ ~ : -"

    public var description: String { "\(mediaType.rawValue)/\(id)" }

    /// Reads `description` back ("books/123"), as stored in documents that refer to an entity.
    public init?(documentID: String) {
        guard let slash = documentID.firstIndex(of: "/"), let mediaType = MediaType(rawValue: String(documentID[..<slash])) else {
            return nil
        }
        self.init(mediaType: mediaType, id: String(documentID[documentID.index(after: slash)...]))
    }
}
