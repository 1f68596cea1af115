import BSON
import Crypto
import Foundation
import MongoDB

/// A stored file's description, as GridFS's files collection holds it.
public struct StoredBlob: Sendable, Equatable {
    public var id: String
    public var contentType: String
    public var bytes: Int
    /// SHA-256 of the bytes, lowercase hex: the strong ETag.
    public var sha256: String
    public var chunkSize: Int
    public var chunkCount: Int
    public var uploadDate: Date

    public var etag: String { "\"\(sha256)\"" }

    /// How many bytes chunk `n` holds in a complete file.
    public func chunkLength(_ n: Int) -> Int { min(chunkSize, bytes - n * chunkSize) }
}

/// Image files in MongoDB's GridFS layout (bucket `images`: `images.files` and `images.chunks`), so any
/// GridFS tool can read them.
///
/// A file is never served mixed or half written: a files document exists only for a complete upload
/// (chunks are written first), each chunk is written over whatever an interrupted upload left under
/// the same id (never kept beside it), and readers check every chunk's length and the whole file's
/// SHA-256. File ids carry their content's digest (`StoredCover.fileID`), so one id only ever names
/// one content. Deletes are conditional on an orphan mark (`orphanSince`: `metadata.orphanSince` on
/// the files document, `orphanSince` on each chunk) that `put` clears when it reuses or rewrites the
/// file, so a delete racing an upload of the same file never takes the upload's bytes.
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

    /// Stores `bytes` as file `id` unless it is already there (then claims it: clears its orphan mark).
    public func put(_ id: String, bytes: [UInt8], contentType: String, sha256: String, now: Date = Date()) async throws {
        let claimed = try await files.updateOne(["_id": .string(id)], ["$unset": ["metadata.orphanSince": ""]])
        if claimed.matchedCount > 0 { return }
        let starts = bytes.isEmpty ? [0] : Array(stride(from: 0, to: bytes.count, by: Self.chunkSize))
        // Upserts by deterministic chunk id: a chunk an interrupted upload left is overwritten, and
        // loses any orphan mark, so a sweep running meanwhile cannot delete it.
        let models: [MongoCollection.WriteModel] = starts.enumerated().map { index, start in
            .updateOne(filter: ["_id": .string(Self.chunkID(id, index))], update: [
                "$set": [
                    "files_id": .string(id),
                    "n": .int32(Int32(index)),
                    "data": .binary(subtype: 0, data: Array(bytes[start..<min(start + Self.chunkSize, bytes.count)])),
                ],
                "$unset": ["orphanSince": ""],
            ], upsert: true)
        }
        let written = try await chunks.bulkWrite(models, ordered: false)
        if let failure = written.writeErrors.values.first { throw failure }
        // Chunks past the end, left by a longer interrupted upload, are no part of this file.
        try await chunks.deleteMany(["files_id": .string(id), "n": ["$gte": .int32(Int32(starts.count))]])
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
            // Another worker stored the same file first: the id names its content, so the same bytes.
        }
    }

    static func chunkID(_ id: String, _ n: Int) -> String { "\(id)#\(n)" }

    /// The description of a stored file, or nil; a files document without its length, chunk size or
    /// digest is an error, never read with made-up values.
    public func blob(_ id: String) async throws -> StoredBlob? {
        guard let document = try await files.findOne(["_id": .string(id)]) else { return nil }
        let stored = try files.decode(FilesDocument.self, from: document)
        guard stored.length >= 0, stored.chunkSize > 0 else {
            throw StorageError.corruptDocument(collection: files.name, id: id,
                                               reason: "length \(stored.length) and chunkSize \(stored.chunkSize) describe no file")
        }
        return StoredBlob(
            id: id,
            contentType: stored.metadata.contentType,
            bytes: Int(stored.length),
            sha256: stored.metadata.sha256,
            chunkSize: Int(stored.chunkSize),
            chunkCount: stored.length == 0 ? 0 : Int((stored.length + stored.chunkSize - 1) / stored.chunkSize),
            uploadDate: stored.uploadDate
        )
    }

    /// A GridFS files document as this store writes it (other fields, such as `orphanSince`, are housekeeping's).
    struct FilesDocument: Decodable {
        struct Metadata: Decodable {
            var contentType: String
            var sha256: String
        }
        var length: Int64
        var chunkSize: Int64
        var uploadDate: Date
        var metadata: Metadata
    }

    /// Chunk `n` of a file: what a streamed response reads one at a time. A chunk that is missing or
    /// whose length is not what the files document says is an error, never served.
    public func chunk(_ blob: StoredBlob, _ n: Int) async throws -> [UInt8] {
        guard let document = try await chunks.findOne(["files_id": .string(blob.id), "n": .int32(Int32(n))]),
              let data = document["data"]?.binaryValue else {
            throw StorageError.corruptDocument(collection: chunks.name, id: blob.id, reason: "GridFS chunk \(n) is missing")
        }
        guard data.count == blob.chunkLength(n) else {
            throw StorageError.corruptDocument(collection: chunks.name, id: blob.id, reason: "GridFS chunk \(n) holds \(data.count) bytes, the file says \(blob.chunkLength(n))")
        }
        return data
    }

    /// The whole file, checked complete and against its recorded SHA-256; nil when there is no such file.
    public func read(_ id: String) async throws -> [UInt8]? {
        guard let blob = try await blob(id) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(blob.bytes)
        for n in 0..<blob.chunkCount { bytes += try await chunk(blob, n) }
        let digest = Self.sha256(bytes)
        guard digest == blob.sha256 else {
            throw StorageError.corruptDocument(collection: files.name, id: id, reason: "GridFS bytes have SHA-256 \(digest), the file says \(blob.sha256)")
        }
        return bytes
    }

    /// SHA-256 in lowercase hex, as file ids and ETags carry it.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Deletes a file at once, whatever uses it: for operators and tests. Housekeeping uses the
    /// conditional `delete(_:markedAt:)`.
    public func delete(_ id: String) async throws {
        _ = try await files.deleteOne(["_id": .string(id)])
        _ = try await chunks.deleteMany(["files_id": .string(id)])
    }
}
