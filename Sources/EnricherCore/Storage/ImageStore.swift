import BSON
import Foundation
import MongoDB

/// A stored image's description, as GridFS's files collection holds it.
public struct StoredImage: Sendable, Equatable {
    /// The SHA-256 of the bytes, lowercase hex: the same picture is stored once.
    public var id: String
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var uploadDate: Date

    /// A strong ETag: the content hash.
    public var etag: String { "\"\(id)\"" }
}

/// Images in MongoDB's GridFS layout (bucket `images`: `images.files` and `images.chunks`), keyed by
/// content hash, so any GridFS tool can read them and an image shared by many entities is stored once.
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

    /// Stores `bytes` under their hash unless already there. Returns the stored description and whether it is new.
    public func store(_ bytes: [UInt8], sha256: String, contentType: String, width: Int, height: Int, now: Date = Date()) async throws -> (image: StoredImage, created: Bool) {
        if let existing = try await metadata(sha256) { return (existing, false) }
        let starts = bytes.isEmpty ? [0] : Array(stride(from: 0, to: bytes.count, by: Self.chunkSize))
        let models: [MongoCollection.WriteModel] = starts.enumerated().map { index, start in
            .insertOne([
                "_id": .string("\(sha256)/\(index)"),
                "files_id": .string(sha256),
                "n": .int32(Int32(index)),
                "data": .binary(subtype: 0, data: Array(bytes[start..<min(start + Self.chunkSize, bytes.count)])),
            ])
        }
        let written = try await chunks.bulkWrite(models, ordered: false)
        if let failure = written.writeErrors.values.first(where: { if case .duplicateKey = $0 { false } else { true } }) {
            throw failure
        }
        let image = StoredImage(id: sha256, contentType: contentType, width: width, height: height, bytes: bytes.count, uploadDate: now)
        do {
            try await files.insertOne([
                "_id": .string(sha256),
                "length": .int64(Int64(bytes.count)),
                "chunkSize": .int32(Int32(Self.chunkSize)),
                "uploadDate": .date(now),
                "filename": .string(sha256),
                "metadata": ["contentType": .string(contentType), "width": .int64(Int64(width)), "height": .int64(Int64(height))],
            ])
        } catch MongoError.duplicateKey {
            // Another worker stored the same picture first: same bytes, same id.
            return (try await metadata(sha256) ?? image, false)
        }
        return (image, true)
    }

    /// The description of a stored image, or nil.
    public func metadata(_ id: String) async throws -> StoredImage? {
        guard let document = try await files.findOne(["_id": .string(id)]) else { return nil }
        let metadata = document["metadata"]?.documentValue ?? [:]
        return StoredImage(
            id: id,
            contentType: metadata["contentType"]?.stringValue ?? "application/octet-stream",
            width: Int(metadata["width"]?.int64Value ?? 0),
            height: Int(metadata["height"]?.int64Value ?? 0),
            bytes: Int(document["length"]?.int64Value ?? 0),
            uploadDate: document["uploadDate"]?.dateValue ?? Date(timeIntervalSince1970: 0)
        )
    }

    /// The stored bytes, checked complete against the files document; nil when there is no such image.
    public func read(_ id: String) async throws -> [UInt8]? {
        guard let image = try await metadata(id) else { return nil }
        let documents = try await chunks.find(["files_id": .string(id)], options: .init(sort: ["n": 1]))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(image.bytes)
        for (expected, document) in documents.enumerated() {
            guard Int(document["n"]?.int64Value ?? -1) == expected, let data = document["data"]?.binaryValue else {
                throw StorageError.corruptDocument(id: id, reason: "GridFS chunk \(expected) is missing or malformed")
            }
            bytes.append(contentsOf: data)
        }
        guard bytes.count == image.bytes else {
            throw StorageError.corruptDocument(id: id, reason: "GridFS chunks hold \(bytes.count) bytes, the file says \(image.bytes)")
        }
        return bytes
    }
}
