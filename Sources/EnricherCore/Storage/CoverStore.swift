import BSON
import Foundation
import MongoDB

/// One stored file of a cover: the normalized original or a rendition.
public struct CoverFile: Sendable, Equatable, Codable {
    /// `original` or a configured rendition name.
    public var name: String
    /// The GridFS file id: `<cover id>/<name>/<sha256>` (`<cover id>/<name>` for files stored before
    /// ids carried their digest).
    public var fileId: String
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var sha256: String

    public init(name: String, fileId: String, contentType: String, width: Int, height: Int, bytes: Int, sha256: String) {
        self.name = name
        self.fileId = fileId
        self.contentType = contentType
        self.width = width
        self.height = height
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// A stored cover: the picture once, whatever number of entities show it.
public struct StoredCover: Sendable, Equatable, Codable {
    /// SHA-256 of the bytes first downloaded (lowercase hex); the id in `/v1/images/{id}`.
    public var id: String
    /// dHash of the picture, for recognising the same cover in another encoding or size.
    public var perceptualHash: UInt64
    public var width: Int
    public var height: Int
    public var files: [CoverFile]
    public var createdAt: Date

    public init(id: String, perceptualHash: UInt64, width: Int, height: Int, files: [CoverFile], createdAt: Date) {
        self.id = id
        self.perceptualHash = perceptualHash
        self.width = width
        self.height = height
        self.files = files
        self.createdAt = createdAt
    }

    public static let originalName = "original"

    public func file(_ name: String) -> CoverFile? { files.first { $0.name == name } }
    public var original: CoverFile? { file(Self.originalName) }

    /// The GridFS id of one of this cover's files. It names the content (its SHA-256), so a file made
    /// again with other bytes (other rendition settings, another libvips) is another file, never mixed
    /// with what an interrupted upload left under the old id.
    public static func fileID(cover: String, name: String, sha256: String) -> String { "\(cover)/\(name)/\(sha256)" }

    enum CodingKeys: String, CodingKey { case id, perceptualHash, width, height, files, createdAt }

    // The hash is kept as hex text: BSON has no unsigned 64-bit integer.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        let hash = try container.decode(String.self, forKey: .perceptualHash)
        guard let value = UInt64(hash, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .perceptualHash, in: container, debugDescription: "'\(hash)' is not a hex hash")
        }
        perceptualHash = value
        width = try container.decode(Int.self, forKey: .width)
        height = try container.decode(Int.self, forKey: .height)
        files = try container.decode([CoverFile].self, forKey: .files)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(String(perceptualHash, radix: 16), forKey: .perceptualHash)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(files, forKey: .files)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// Covers in MongoDB: a description per cover in `covers`, its bytes in the `images` GridFS bucket.
/// The perceptual hash is also kept as four 16-bit bands, each indexed: two hashes within a small
/// Hamming distance share at least one band, so a near-duplicate is found without a collection scan.
public struct CoverStore: Sendable {
    public static let collectionName = "covers"
    let covers: MongoCollection
    public let blobs: ImageStore

    public init(database: MongoDatabase) {
        covers = database.collection(Self.collectionName)
        blobs = ImageStore(database: database)
    }

    public func ensureIndexes() async throws {
        try await covers.createIndexes([
            .init(name: "hashBands", keys: ["hashBands": 1]),
            // Which cover owns a GridFS file: what the orphan sweep asks for each page of files.
            .init(name: "files_fileId", keys: ["files.fileId": 1]),
            // The latest covers, for the status page.
            .init(name: "createdAt", keys: ["createdAt": -1]),
        ])
        try await blobs.ensureIndexes()
    }

    static func bands(_ hash: UInt64) -> [BSONValue] {
        (0..<4).map { index in .string("\(index):\(String((hash >> (16 * UInt64(index))) & 0xFFFF, radix: 16))") }
    }

    static func document(_ cover: StoredCover) throws -> BSONDocument {
        var document = try BSONEncoder().encode(cover)
        document["_id"] = .string(cover.id)
        document["hashBands"] = .array(bands(cover.perceptualHash))
        return document
    }

    static func decode(_ document: BSONDocument) throws -> StoredCover {
        var document = document
        for key in ["_id", "hashBands", "unusedSince"] { _ = document.removeValue(forKey: key) }
        do {
            return try BSONDecoder().decode(StoredCover.self, from: document)
        } catch {
            throw StorageError.corruptDocument(collection: collectionName, id: document["id"]?.stringValue ?? "?", reason: String(describing: error))
        }
    }

    public func cover(_ id: String) async throws -> StoredCover? {
        try await covers.findOne(["_id": .string(id)]).map(Self.decode)
    }

    /// The `limit` covers stored last, newest first (on the `createdAt` index).
    public func latest(limit: Int) async throws -> [StoredCover] {
        guard limit > 0 else { return [] } // a find's limit 0 means none
        return try await covers.find([:], options: .init(sort: ["createdAt": -1], limit: limit)).map(Self.decode)
    }

    /// A stored cover whose perceptual hash is within `distance` of `hash` and whose shape matches
    /// (aspect ratios within 2 %), or nil.
    public func similar(to hash: UInt64, within distance: Int, width: Int, height: Int) async throws -> StoredCover? {
        guard distance >= 0 else { return nil }
        let candidates = try await covers.find(["hashBands": ["$in": .array(Self.bands(hash))]], options: .init(limit: 50))
        let aspect = Double(width) / Double(max(height, 1))
        return try candidates.map(Self.decode).filter { cover in
            (cover.perceptualHash ^ hash).nonzeroBitCount <= distance
                && abs(Double(cover.width) / Double(max(cover.height, 1)) - aspect) <= 0.02 * aspect
        }.min { ($0.perceptualHash ^ hash).nonzeroBitCount < ($1.perceptualHash ^ hash).nonzeroBitCount }
    }

    /// Stores a cover's files, then its description. Returns what is stored (another worker's copy,
    /// claimed, if it stored the same picture first) and whether this call created it.
    public func store(_ cover: StoredCover, contents: [String: [UInt8]]) async throws -> (cover: StoredCover, created: Bool) {
        for file in cover.files {
            guard let bytes = contents[file.name] else { continue }
            try await blobs.put(file.fileId, bytes: bytes, contentType: file.contentType, sha256: file.sha256, now: cover.createdAt)
        }
        var attempts = 0
        while true {
            do {
                try await covers.insertOne(try Self.document(cover))
                return (cover, true)
            } catch MongoError.duplicateKey {
                if let other = try await self.cover(cover.id), try await claim(other.id) { return (other, false) }
                // Housekeeping deleted the other copy between our insert and our claim: insert ours again.
                attempts += 1
                if attempts == 3 { throw StorageError.corruptDocument(collection: Self.collectionName, id: cover.id, reason: "cover keeps appearing and disappearing while stored") }
            }
        }
    }

    /// Claims a stored cover for reuse: clears its unused mark, so housekeeping's conditional delete
    /// cannot take it. False when the cover is gone (deleted by housekeeping just now).
    public func claim(_ id: String) async throws -> Bool {
        try await covers.updateOne(["_id": .string(id)], ["$unset": ["unusedSince": ""]]).matchedCount > 0
    }

    /// Adds or replaces files of a stored cover (renditions regenerated by `enricher images reconcile`).
    public func replaceFiles(of cover: StoredCover, with files: [CoverFile], contents: [String: [UInt8]]) async throws -> StoredCover {
        for file in files {
            guard let bytes = contents[file.name] else { continue }
            try await blobs.put(file.fileId, bytes: bytes, contentType: file.contentType, sha256: file.sha256)
        }
        var updated = cover
        let names = Set(files.map(\.name))
        updated.files = cover.files.filter { !names.contains($0.name) } + files
        _ = try await covers.updateOne(["_id": .string(cover.id)], ["$set": ["files": .array(try updated.files.map { .document(try BSONEncoder().encode($0)) })]])
        return updated
    }

    /// Deletes a cover at once, whatever uses it (for operators and tests): its description first (so
    /// nothing serves it any more), then its files.
    public func delete(_ cover: StoredCover) async throws {
        _ = try await covers.deleteOne(["_id": .string(cover.id)])
        for file in cover.files { try await blobs.delete(file.fileId) }
    }

    /// Deletes a cover only if it is still unused since `unusedSince` (no `claim` since), then those of
    /// its files nobody stored again meanwhile; returns whether it deleted the cover.
    ///
    /// The files are marked first: a `publish` that stores the same picture again after the cover is
    /// gone reuses or rewrites them through `ImageStore.put`, which clears the mark, and the delete of
    /// a file whose mark is gone does nothing.
    public func delete(_ cover: StoredCover, unusedSince: Date, now: Date) async throws -> Bool {
        for file in cover.files { try await blobs.mark(file.fileId, orphanSince: now) }
        guard try await covers.deleteOne(["_id": .string(cover.id), "unusedSince": .date(unusedSince)]) > 0 else {
            for file in cover.files { try await blobs.unmark(file.fileId) }
            return false
        }
        for file in cover.files { try await blobs.delete(file.fileId, markedAt: now) }
        return true
    }

    /// The GridFS ids among `fileIDs` that a cover document names.
    public func owned(_ fileIDs: [String]) async throws -> Set<String> {
        guard !fileIDs.isEmpty else { return [] }
        let documents = try await covers.find(["files.fileId": ["$in": .array(fileIDs.map(BSONValue.string))]],
                                              options: .init(projection: ["files.fileId": 1]))
        let named = documents.flatMap { document in
            (document["files"]?.arrayValue ?? []).compactMap { $0.documentValue?["fileId"]?.stringValue }
        }
        return Set(named).intersection(fileIDs)
    }

    /// One page of covers in id order after `after`, with when each was first seen unused (nil: in use
    /// at the last look): what housekeeping and reconciliation walk through.
    public func page(after: String?, limit: Int) async throws -> [(cover: StoredCover, unusedSince: Date?)] {
        let filter: BSONDocument = after.map { ["_id": ["$gt": .string($0)]] } ?? [:]
        return try await covers.find(filter, options: .init(sort: ["_id": 1], limit: limit)).map { document in
            (try Self.decode(document), document["unusedSince"]?.dateValue)
        }
    }

    /// Records when a cover was first seen unused (nil: it is in use again).
    public func setUnused(_ id: String, since: Date?) async throws {
        let update: BSONDocument = since.map { ["$set": ["unusedSince": .date($0)]] } ?? ["$unset": ["unusedSince": ""]]
        _ = try await covers.updateOne(["_id": .string(id)], update)
    }
}
