import BSON

extension MongoCollection {
    /// An index to ensure at start-up.
    public struct IndexModel: Sendable {
        public var name: String
        public var keys: BSONDocument
        public var unique: Bool
        /// Only documents matching this filter are indexed.
        public var partialFilter: BSONDocument?

        public init(name: String, keys: BSONDocument, unique: Bool = false, partialFilter: BSONDocument? = nil) {
            self.name = name
            self.keys = keys
            self.unique = unique
            self.partialFilter = partialFilter
        }
    }

    /// Creates the indexes; ones that already exist with the same definition are left as they are.
    public func createIndexes(_ indexes: [IndexModel]) async throws {
        let specs: [BSONValue] = indexes.map { index in
            var spec: BSONDocument = ["key": .document(index.keys), "name": .string(index.name)]
            if index.unique { spec["unique"] = true }
            if let filter = index.partialFilter { spec["partialFilterExpression"] = .document(filter) }
            return .document(spec)
        }
        try await database.command(["createIndexes": .string(name), "indexes": .array(specs)])
    }
}
