import BSON
import EnricherCore
import Enrichment
import Foundation
import Images
import Logging
import MongoDB
import Testing

/// Stored images are never served mixed, short or half deleted: interrupted uploads, orphans left by
/// crashes, housekeeping racing a publish and drift repaired on a schedule, against the real database
/// server and real GridFS documents.
@Suite("Cover integrity (GridFS)", .serialized)
struct CoverIntegrityTests {
    static let quiet = Logger(label: "cover-integrity") { _ in SwiftLogNoOpLogHandler() }
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    /// `count` bytes of a pattern that differs with `seed`.
    static func bytes(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* (2 * seed + 1)) ^ ($0 >> 8) ^ seed) }
    }

    /// Chunks of `bytes` written for file `id` the way an upload that died before its files document
    /// leaves them.
    static func interruptedUpload(_ id: String, _ bytes: [UInt8], in database: MongoDatabase) async throws {
        for (n, start) in stride(from: 0, to: bytes.count, by: ImageStore.chunkSize).enumerated() {
            try await database.collection("images.chunks").insertOne([
                "_id": .string("\(id)#\(n)"), "files_id": .string(id), "n": .int32(Int32(n)),
                "data": .binary(subtype: 0, data: Array(bytes[start..<min(start + ImageStore.chunkSize, bytes.count)])),
            ])
        }
    }

    /// A cover of made-up files (no libvips needed): an original spanning two chunks and a thumbnail.
    static func cover(seed: Int, createdAt: Date) -> (cover: StoredCover, contents: [String: [UInt8]]) {
        let id = ImageStore.sha256(bytes(100, seed: seed))
        var files: [CoverFile] = []
        var contents: [String: [UInt8]] = [:]
        for (name, size) in [("original", ImageStore.chunkSize + 5000), ("thumb", 4000)] {
            let data = bytes(size, seed: seed + name.count)
            let sha = ImageStore.sha256(data)
            files.append(CoverFile(name: name, fileId: StoredCover.fileID(cover: id, name: name, sha256: sha), contentType: "image/jpeg",
                                   width: 10, height: 10, bytes: size, sha256: sha))
            contents[name] = data
        }
        return (StoredCover(id: id, perceptualHash: UInt64(seed), width: 10, height: 10, files: files, createdAt: createdAt), contents)
    }

    /// Every file of `cover` reads back byte for byte, checked against its digest.
    static func expectIntact(_ cover: StoredCover, _ contents: [String: [UInt8]], in store: CoverStore) async throws {
        for file in cover.files {
            let read = try await store.blobs.read(file.fileId)
            #expect(read == contents[file.name], "\(file.fileId) does not read back as stored")
        }
    }

    @Test("an upload interrupted after some chunks never mixes with a later upload of other bytes under the same id")
    func interruptedUploadDoesNotMix() async throws {
        try await TestDatabase.with("gridfs") { database in
            let store = CoverStore(database: database)
            try await store.ensureIndexes()
            let id = "interrupted/original"
            // Four chunks of an older, longer picture, and no files document: the process died there.
            try await Self.interruptedUpload(id, Self.bytes(3 * ImageStore.chunkSize + 10, seed: 1), in: database)
            #expect(try await store.blobs.blob(id) == nil, "chunks without a files document are never served")
            #expect(try await store.blobs.read(id) == nil)

            let fresh = Self.bytes(ImageStore.chunkSize + 100, seed: 2)
            try await store.blobs.put(id, bytes: fresh, contentType: "image/jpeg", sha256: ImageStore.sha256(fresh))
            let blob = try #require(try await store.blobs.blob(id))
            #expect(blob.bytes == fresh.count && blob.sha256 == ImageStore.sha256(fresh) && blob.chunkCount == 2)
            #expect(try await store.blobs.read(id) == fresh, "the file reads back exactly as uploaded the second time")
            #expect(try await database.collection("images.chunks").countDocuments(["files_id": .string(id)]) == 2,
                    "the older upload's chunks past the new end are gone")
        }
    }

    @Test("a chunk of the wrong length or bytes that do not match the recorded digest are an error, never served")
    func corruptChunksAreRefused() async throws {
        try await TestDatabase.with("gridfs") { database in
            let store = CoverStore(database: database)
            try await store.ensureIndexes()
            let bytes = Self.bytes(ImageStore.chunkSize + 300, seed: 3)
            try await store.blobs.put("f", bytes: bytes, contentType: "image/jpeg", sha256: ImageStore.sha256(bytes))
            let chunks = database.collection("images.chunks")
            let blob = try #require(try await store.blobs.blob("f"))

            try await chunks.updateOne(["files_id": "f", "n": .int32(1)], ["$set": ["data": .binary(subtype: 0, data: Self.bytes(200, seed: 4))]])
            await #expect(throws: StorageError.self) { _ = try await store.blobs.chunk(blob, 1) }
            await #expect(throws: StorageError.self) { _ = try await store.blobs.read("f") }

            try await chunks.updateOne(["files_id": "f", "n": .int32(1)], ["$set": ["data": .binary(subtype: 0, data: Self.bytes(300, seed: 4))]])
            #expect(try await store.blobs.chunk(blob, 1).count == 300, "right length: a streamed read cannot tell")
            do {
                _ = try await store.blobs.read("f")
                Issue.record("bytes that do not match the digest were read")
            } catch let error as StorageError {
                #expect(error.description.contains("SHA-256"), "\(error)")
            }
        }
    }

    @Test("housekeeping sweeps GridFS files no cover names and chunks no file owns after the grace period, not before, and never an upload finished meanwhile")
    func orphansSweptAfterGrace() async throws {
        try await TestDatabase.with("gridfs") { database in
            let store = CoverStore(database: database)
            try await store.ensureIndexes()
            let housekeeping = CoverHousekeeping(store: store, entities: EntityRepository(database: database), interval: .seconds(3600),
                                                 grace: .seconds(24 * 3600), orphanGrace: .seconds(3600), logger: Self.quiet)
            let (kept, keptContents) = Self.cover(seed: 10, createdAt: Self.t0)
            _ = try await store.store(kept, contents: keptContents)
            // A file whose cover document is gone (a crash between deleting the cover and its files).
            let lost = Self.bytes(1000, seed: 11)
            try await store.blobs.put("lost/original", bytes: lost, contentType: "image/jpeg", sha256: ImageStore.sha256(lost))
            // Chunks of an upload that never finished, and of one that will finish within the grace period.
            try await Self.interruptedUpload("abandoned/original", Self.bytes(ImageStore.chunkSize + 1, seed: 12), in: database)
            let (late, lateContents) = Self.cover(seed: 13, createdAt: Self.t0)
            try await Self.interruptedUpload(try #require(late.original).fileId, Self.bytes(ImageStore.chunkSize + 7, seed: 14), in: database)

            let first = try await housekeeping.sweep(now: Self.t0)
            #expect(first.orphans == OrphanSweep(filesMarked: 1, filesDeleted: 0, chunksDeleted: 0), "\(first)")
            let half = try await housekeeping.sweep(now: Self.t0 + 1800)
            #expect(half.orphans.filesDeleted == 0 && half.orphans.chunksDeleted == 0, "within the grace period nothing goes: \(half)")
            #expect(try await store.blobs.read("lost/original") == lost)

            // The interrupted upload is done again, and its cover stored, within the grace period.
            _ = try await store.store(late, contents: lateContents)
            let past = try await housekeeping.sweep(now: Self.t0 + 3601)
            #expect(past.orphans.filesDeleted == 1 && past.orphans.chunksDeleted == 2, "\(past)")
            #expect(try await store.blobs.blob("lost/original") == nil)
            #expect(try await database.collection("images.chunks").countDocuments(["files_id": "abandoned/original"]) == 0)
            #expect(try await database.collection("images.chunks").countDocuments(["files_id": "lost/original"]) == 0)
            try await Self.expectIntact(kept, keptContents, in: store)
            try await Self.expectIntact(late, lateContents, in: store)
            #expect(try await database.collection("images.files").countDocuments() == 4, "two covers of two files each, nothing else")
            #expect(try await database.collection("images.chunks").countDocuments() == 6, "two chunks per original, one per thumbnail")
        }
    }

    @Test("a cover housekeeping is about to delete, taken up again by publish, keeps its files; one deleted first is stored again whole")
    func housekeepingRacingPublish() async throws {
        try await TestDatabase.with("gridfs") { database in
            let store = CoverStore(database: database)
            try await store.ensureIndexes()
            let inspector = try ImageInspector(limits: ImageLimits(), threads: 1, queueLimit: 4)
            defer { inspector.shutdown() }
            let library = CoverLibrary(store: store, images: inspector, settings: RenditionSettings(), duplicateDistance: 4)
            let housekeeping = CoverHousekeeping(store: store, entities: EntityRepository(database: database), interval: .seconds(3600),
                                                 grace: .zero, orphanGrace: .zero, logger: Self.quiet)
            let download = try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg)
            let sha = ImageStore.sha256(download)
            let (cover, created) = try await library.publish(download, sha256: sha, now: Self.t0)
            #expect(created)
            var contents: [String: [UInt8]] = [:]
            for file in cover.files {
                let read = try await store.blobs.read(file.fileId)
                let bytes: [UInt8] = try #require(read)
                contents[file.name] = bytes
            }

            // Housekeeping sees the cover unused and decides to delete it; publish takes it up first.
            try await housekeeping.sweep(now: Self.t0)
            let unusedSince = try #require(try await store.page(after: nil, limit: 10).first?.unusedSince)
            let (reused, reusedCreated) = try await library.publish(download, sha256: sha)
            #expect(reused.id == cover.id && !reusedCreated)
            #expect(try await store.delete(cover, unusedSince: unusedSince, now: Self.t0 + 60) == false, "the delete is conditional on the mark publish cleared")
            #expect(try await store.cover(cover.id) != nil)
            try await Self.expectIntact(cover, contents, in: store)

            // Housekeeping wins this time: the cover document is deleted, and publish stores the picture again.
            try await housekeeping.sweep(now: Self.t0 + 120)
            let marked = try #require(try await store.page(after: nil, limit: 10).first?.unusedSince)
            #expect(try await store.delete(cover, unusedSince: marked, now: Self.t0 + 180))
            let originalID = try #require(cover.original).fileId
            #expect(try await store.cover(cover.id) == nil)
            #expect(try await store.blobs.blob(originalID) == nil, "the deleted cover's files went with it")
            let (again, againCreated) = try await library.publish(download, sha256: sha)
            #expect(againCreated && again.files.map(\.fileId) == cover.files.map(\.fileId))
            try await Self.expectIntact(again, contents, in: store)

            // The narrowest interleaving: housekeeping has marked the files and deleted the cover document
            // when publish stores the same picture (reusing the files), before housekeeping deletes them.
            let mark = Self.t0 + 240
            for file in again.files { try await store.blobs.mark(file.fileId, orphanSince: mark) }
            try await database.collection(CoverStore.collectionName).deleteOne(["_id": .string(again.id)])
            let (third, thirdCreated) = try await library.publish(download, sha256: sha)
            #expect(thirdCreated && third.id == again.id)
            for file in again.files {
                #expect(try await store.blobs.delete(file.fileId, markedAt: mark) == false, "\(file.name) was reused, so it stays")
            }
            try await Self.expectIntact(third, contents, in: store)
        }
    }

    @Test("reconciliation runs on its schedule and makes a lost rendition again without being asked")
    func scheduledReconcile() async throws {
        try await FakeWorld.with { world in
            world.setEveryScenario(.miss)
            let url = CoverStorageTests.host(try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg), as: "image/jpeg",
                                             named: "scheduled.jpg", in: world)
            try await TestService.with(world.environment.merging(["ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS": "1"]) { $1 }) { service in
                let (item, _) = try await service.enrichOne(.books, "r", ["isbn": "9780980200447", "imageUrl": url])
                #expect(item.outcome == "found", "\(item)")
                let id = try #require(EntityView(try await service.entity(.books, "r")).coverImage?["id"] as? String)
                let store = CoverStore(database: service.database)
                let thumb = try #require(try await store.cover(id)?.file("thumb"))
                try await store.blobs.delete(thumb.fileId)
                #expect(try await service.client.send("GET", "/v1/images/\(id)/thumb", auth: .none).status == 404)
                try await waitUntil(deadline: .seconds(30), interval: .milliseconds(200)) {
                    try await service.client.send("GET", "/v1/images/\(id)/thumb", auth: .none).status == 200
                }
                let served = try await service.client.send("GET", "/v1/images/\(id)/thumb", auth: .none)
                #expect(served.header("ETag") == "\"\(sha256Hex(served.body))\"")
            }
        }
    }
}
