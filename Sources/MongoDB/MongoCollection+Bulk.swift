import BSON
import CMongoc

extension MongoCollection {
    /// One write of a bulk request.
    public enum WriteModel: Sendable {
        case insertOne(BSONDocument)
        case updateOne(filter: BSONDocument, update: BSONDocument, upsert: Bool)
        case deleteOne(filter: BSONDocument)
    }

    public struct BulkWriteResult: Sendable {
        public var insertedCount = 0
        public var matchedCount = 0
        public var modifiedCount = 0
        public var deletedCount = 0
        /// Index of the write in the request -> the `_id` its upsert inserted.
        public var upsertedIDs: [Int: BSONValue] = [:]
        /// Index of the write in the request -> why the server refused it.
        public var writeErrors: [Int: MongoError] = [:]
    }

    /// Sends the writes in one bulk request. Unordered by default, so one refused write does not stop
    /// the others; per-write failures come back in `writeErrors`, not as a thrown error.
    public func bulkWrite(_ models: [WriteModel], ordered: Bool = false) async throws -> BulkWriteResult {
        guard !models.isEmpty else { return BulkWriteResult() }
        return try await withCollection(.bulkWrite) { collection in
            let bulk = try withNativeBSON(["ordered": .bool(ordered)]) { mongoc_collection_create_bulk_operation_with_opts(collection, $0[0]) }
            guard let bulk else {
                throw MongoError.client(domain: 0, code: 0, message: "libmongoc returned no bulk operation")
            }
            defer { mongoc_bulk_operation_destroy(bulk) }
            var error = bson_error_t()
            for model in models {
                // libmongoc copies each document into the bulk command, so they need to live only for the call.
                let added: Bool
                switch model {
                case .insertOne(let document):
                    added = try withNativeBSON(document) { mongoc_bulk_operation_insert_with_opts(bulk, $0[0], nil, &error) }
                case .updateOne(let filter, let update, let upsert):
                    added = try withNativeBSON(filter, update, ["upsert": .bool(upsert)]) {
                        mongoc_bulk_operation_update_one_with_opts(bulk, $0[0], $0[1], $0[2], &error)
                    }
                case .deleteOne(let filter):
                    added = try withNativeBSON(filter) { mongoc_bulk_operation_remove_one_with_opts(bulk, $0[0], nil, &error) }
                }
                guard added else { throw MongoError(error) }
            }
            return try withReply { reply in
                let succeeded = mongoc_bulk_operation_execute(bulk, reply, &error) != 0
                let document = try BSONDocument(native: reply)
                var result = BulkWriteResult()
                result.insertedCount = Int(document["nInserted"]?.int64Value ?? 0)
                result.matchedCount = Int(document["nMatched"]?.int64Value ?? 0)
                result.modifiedCount = Int(document["nModified"]?.int64Value ?? 0)
                result.deletedCount = Int(document["nRemoved"]?.int64Value ?? 0)
                for entry in document["upserted"]?.arrayValue ?? [] {
                    if let upsert = entry.documentValue, let index = upsert["index"]?.int64Value, let id = upsert["_id"] {
                        result.upsertedIDs[Int(index)] = id
                    }
                }
                for entry in document["writeErrors"]?.arrayValue ?? [] {
                    guard let writeError = entry.documentValue, let index = writeError["index"]?.int64Value else { continue }
                    let code = Int32(writeError["code"]?.int64Value ?? 0)
                    let message = writeError["errmsg"]?.stringValue ?? "write refused"
                    result.writeErrors[Int(index)] = MongoError.duplicateKeyCodes.contains(code)
                        ? .duplicateKey(message: message) : .server(code: code, message: message)
                }
                // A failure with no per-write errors is a failure of the whole request (network, server).
                if !succeeded && result.writeErrors.isEmpty { throw MongoError(error) }
                return result
            }
        }
    }
}
