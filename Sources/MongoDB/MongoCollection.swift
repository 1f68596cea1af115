import BSON
import CMongoc

/// One collection's operations, each an async call that runs libmongoc on the layer's own threads.
public struct MongoCollection: Sendable {
    public let name: String
    let database: MongoDatabase

    public struct UpdateResult: Sendable, Equatable {
        public var matchedCount: Int
        public var modifiedCount: Int
        /// The `_id` of the document an upsert inserted, if it inserted one.
        public var upsertedID: BSONValue?
    }

    public struct FindOptions: Sendable {
        public var sort: BSONDocument?
        public var limit: Int?
        public var projection: BSONDocument?
        /// Server-side time limit for the query.
        public var maxTimeMS: Int?

        public init(sort: BSONDocument? = nil, limit: Int? = nil, projection: BSONDocument? = nil, maxTimeMS: Int? = nil) {
            self.sort = sort
            self.limit = limit
            self.projection = projection
            self.maxTimeMS = maxTimeMS
        }

        var document: BSONDocument {
            var options = BSONDocument()
            if let sort { options["sort"] = .document(sort) }
            if let limit { options["limit"] = .int64(Int64(limit)) }
            if let projection { options["projection"] = .document(projection) }
            if let maxTimeMS { options["maxTimeMS"] = .int64(Int64(maxTimeMS)) }
            return options
        }
    }

    /// Runs `body` (an operation of kind `operation`) with this collection's handle on a driver thread.
    func withCollection<T: Sendable>(_ operation: DatabaseOperation, _ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let databaseName = database.name
        let name = self.name
        return try await database.withClient(operation) { client in
            let collection = mongoc_client_get_collection(client, databaseName, name)!
            defer { mongoc_collection_destroy(collection) }
            return try body(collection)
        }
    }

    public func insertOne(_ document: BSONDocument) async throws {
        try await withCollection(.insert) { collection in
            var error = bson_error_t()
            let inserted = try withNativeBSON(document) { mongoc_collection_insert_one(collection, $0[0], nil, nil, &error) }
            guard inserted else { throw MongoError(error) }
        }
    }

    public func find(_ filter: BSONDocument = [:], options: FindOptions = FindOptions()) async throws -> [BSONDocument] {
        try await withCollection(.find) { collection in
            let cursor = try withNativeBSON(filter, options.document) { mongoc_collection_find_with_opts(collection, $0[0], $0[1], nil) }
            return try Self.drain(cursor)
        }
    }

    /// Runs an aggregation pipeline and returns every document it produces (all batches): bound the
    /// result with a `$limit` stage.
    public func aggregate(_ pipeline: [BSONDocument]) async throws -> [BSONDocument] {
        let stages: BSONDocument = ["pipeline": .array(pipeline.map(BSONValue.document))]
        return try await withCollection(.aggregate) { collection in
            let cursor = try withNativeBSON(stages) { mongoc_collection_aggregate(collection, MONGOC_QUERY_NONE, $0[0], nil, nil) }
            return try Self.drain(cursor)
        }
    }

    /// Every document a cursor yields, then the cursor destroyed.
    private static func drain(_ cursor: OpaquePointer?) throws -> [BSONDocument] {
        guard let cursor else {
            throw MongoError.client(domain: 0, code: 0, message: "libmongoc returned no cursor")
        }
        defer { mongoc_cursor_destroy(cursor) }
        var documents: [BSONDocument] = []
        var current: OpaquePointer?
        while mongoc_cursor_next(cursor, &current) {
            if let current { documents.append(try BSONDocument(native: current)) }
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
        return documents
    }

    public func findOne(_ filter: BSONDocument, projection: BSONDocument? = nil) async throws -> BSONDocument? {
        try await find(filter, options: FindOptions(limit: 1, projection: projection)).first
    }

    public func countDocuments(_ filter: BSONDocument = [:]) async throws -> Int {
        try await withCollection(.count) { collection in
            var error = bson_error_t()
            let count = try withNativeBSON(filter) { mongoc_collection_count_documents(collection, $0[0], nil, nil, nil, &error) }
            guard count >= 0 else { throw MongoError(error) }
            return Int(count)
        }
    }

    @discardableResult
    public func updateOne(_ filter: BSONDocument, _ update: BSONDocument, upsert: Bool = false) async throws -> UpdateResult {
        try await withCollection(.update) { collection in
            try Self.update(collection, filter, update, upsert: upsert, many: false)
        }
    }

    @discardableResult
    public func updateMany(_ filter: BSONDocument, _ update: BSONDocument) async throws -> UpdateResult {
        try await withCollection(.update) { collection in
            try Self.update(collection, filter, update, upsert: false, many: true)
        }
    }

    private static func update(_ collection: OpaquePointer, _ filter: BSONDocument, _ update: BSONDocument, upsert: Bool, many: Bool) throws -> UpdateResult {
        try withReply { reply in
            var error = bson_error_t()
            let ok = try withNativeBSON(filter, update, ["upsert": .bool(upsert)]) { native in
                many
                    ? mongoc_collection_update_many(collection, native[0], native[1], native[2], reply, &error)
                    : mongoc_collection_update_one(collection, native[0], native[1], native[2], reply, &error)
            }
            guard ok else { throw MongoError(error) }
            let document = try BSONDocument(native: reply)
            return UpdateResult(
                matchedCount: Int(document["matchedCount"]?.int64Value ?? 0),
                modifiedCount: Int(document["modifiedCount"]?.int64Value ?? 0),
                upsertedID: document["upsertedId"]
            )
        }
    }

    /// Deletes at most one matching document; returns how many were deleted.
    @discardableResult
    public func deleteOne(_ filter: BSONDocument) async throws -> Int {
        try await delete(filter, many: false)
    }

    @discardableResult
    public func deleteMany(_ filter: BSONDocument) async throws -> Int {
        try await delete(filter, many: true)
    }

    private func delete(_ filter: BSONDocument, many: Bool) async throws -> Int {
        try await withCollection(.delete) { collection in
            try withReply { reply in
                var error = bson_error_t()
                let ok = try withNativeBSON(filter) { native in
                    many
                        ? mongoc_collection_delete_many(collection, native[0], nil, reply, &error)
                        : mongoc_collection_delete_one(collection, native[0], nil, reply, &error)
                }
                guard ok else { throw MongoError(error) }
                return Int(try BSONDocument(native: reply)["deletedCount"]?.int64Value ?? 0)
            }
        }
    }

    /// Drops the collection; a collection that does not exist is not an error.
    public func drop() async throws {
        try await withCollection(.drop) { collection in
            var error = bson_error_t()
            if !mongoc_collection_drop_with_opts(collection, nil, &error) {
                let failure = MongoError(error)
                if case .server(26, _) = failure { return } // NamespaceNotFound
                if case .server(_, let message) = failure, message.contains("ns not found") { return }
                throw failure
            }
        }
    }
}
