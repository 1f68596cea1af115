import BSON
import Foundation
import MongoDB

/// A stored file's description, as GridFS's files collection holds it.
public struct StoredBlob: Sendable, Equatable {
    public var id: String
    public var contentType: String
    public var bytes: Int
    /// SHA-256 of the bytes, lowercase hex: the strong ETag.
    public var sha256: String
    public var chunkCount: Int
    public var uploadDate: Date

    public var etag: String { "\"\(sha256)\"" }
}

/// Image files in MongoDB's GridFS layout (bucket `images`: `images.files` and `images.chunks`), so any
/// GridFS tool can read them.
///
/// Chunks are written before the files document: a files document exists only for a complete upload,
/// and an upload interrupted by a crash is simply written again (chunk ids are deterministic).
public struct ImageStore: Sendable {
    public static let bucket = "images"
    public static let chunkSize = 255 * 1024
    let files: MongoCollection
    let chunks: MongoCollection

    public init(database: MongoDatabase) {
        files = database.collection("\(Self.bucket).files")
        chunks = database.collection("\(Self.bucket).chunks")
    }

    /// The indexes the GridFS specification names.
    public func ensureIndexes() async throws {
        try await chunks.createIndexes([.init(name: "files_id_1_n_1", keys: ["files_id": 1, "n": 1], unique: true)])
        try await files.createIndexes([.init(name: "filename_1_uploadDate_1", keys: ["filename": 1, "uploadDate": 1])])
    }

    /// Stores `bytes` as file `id` unless it is already there.
    public func put(_ id: String, bytes: [UInt8], contentType: String, sha256: String, now: Date = Date()) async throws {
        if try await blob(id) != nil { return }
        let starts = bytes.isEmpty ? [0] : Array(stride(from: 0, to: bytes.count, by: Self.chunkSize))
        let models: [MongoCollection.WriteModel] = starts.enumerated().map { index, start in
            .insertOne([
                "_id": .string("\(id)#\(index)"),
                "files_id": .string(id),
                "n": .int32(Int32(index)),
                "data": .binary(subtype: 0, data: Array(bytes[start..<min(start + Self.chunkSize, bytes.count)])),
            ])
        }
        let written = try await chunks.bulkWrite(models, ordered: false)
        if let failure = written.writeErrors.values.first(where: { if case .duplicateKey = $0 { false } else { true } }) {
            throw failure
        }
        do {
            try await files.insertOne([
                "_id": .string(id),
                "length": .int64(Int64(bytes.count)),
                "chunkSize": .int32(Int32(Self.chunkSize)),
                "uploadDate": .date(now),
                "filename": .string(id),
                "metadata": ["contentType": .string(contentType), "sha256": .string(sha256)],
            ])
        } catch MongoError.duplicateKey {
            // Another worker stored the same file first: same id, same bytes.
        }
    }

    /// The description of a stored file, or nil.
    public func blob(_ id: String) async throws -> StoredBlob? {
        guard let document = try await files.findOne(["_id": .string(id)]) else { return nil }
        let metadata = document["metadata"]?.documentValue ?? [:]
        let length = Int(document["length"]?.int64Value ?? 0)
        let chunkSize = max(1, Int(document["chunkSize"]?.int64Value ?? Int64(Self.chunkSize)))
        return StoredBlob(
            id: id,
            contentType: metadata["contentType"]?.stringValue ?? "application/octet-stream",
            bytes: length,
            sha256: metadata["sha256"]?.stringValue ?? id,
            chunkCount: length == 0 ? 0 : (length + chunkSize - 1) / chunkSize,
            uploadDate: document["uploadDate"]?.dateValue ?? Date(timeIntervalSince1970: 0)
        )
    }

    /// Chunk `n` of a file: what a streamed response reads one at a time.
    public func chunk(_ blob: StoredBlob, _ n: Int) async throws -> [UInt8] {
        guard let document = try await chunks.findOne(["files_id": .string(blob.id), "n": .int32(Int32(n))]),
              let data = document["data"]?.binaryValue else {
            throw StorageError.corruptDocument(collection: chunks.name, id: blob.id, reason: "GridFS chunk \(n) is missing")
        }
        return data
    }

    /// The whole file, checked complete; nil when there is no such file.
    public func read(_ id: String) async throws -> [UInt8]? {
        guard let blob = try await blob(id) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(blob.bytes)
        for n in 0..<blob.chunkCount { bytes += try await chunk(blob, n) }
        guard bytes.count == blob.bytes else {
            throw StorageError.corruptDocument(collection: chunks.name, id: id, reason: "GridFS chunks hold \(bytes.count) bytes, the file says \(blob.bytes)")
        }
        return bytes
    }

    /// Deletes a file: its description first (so it is never served half gone), then its chunks.
    public func delete(_ id: String) async throws {
        _ = try await files.deleteOne(["_id": .string(id)])
        _ = try await chunks.deleteMany(["files_id": .string(id)])
    }
}
