import BSON
import MongoDB

extension MongoCollection {
    /// `document` as the collection's type: a document that does not read as one is an error naming the
    /// collection and the document, never a default.
    public func decode<T: Decodable>(_ type: T.Type, from document: BSONDocument) throws(StorageError) -> T {
        do {
            return try BSONDecoder().decode(type, from: document)
        } catch {
            throw .corruptDocument(collection: name, id: document["_id"].map(Self.describe) ?? "?", reason: String(describing: error))
        }
    }

    private static func describe(_ id: BSONValue) -> String {
        id.stringValue ?? "\(id)"
    }
}
