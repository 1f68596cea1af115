import BSON
import CMongoc

// libbson's `bson_t` is over-aligned (128 bytes), so Swift imports it as an opaque pointer and it can
// never live on the Swift stack. Documents cross the boundary as bytes: our BSON module writes and reads
// the binary format; libbson only ever sees heap copies made with `bson_new_from_data`.

/// Hands `body` heap `bson_t` copies of `documents` (nil stays NULL), valid until `body` returns.
func withNativeBSON<T>(_ documents: BSONDocument?..., body: ([OpaquePointer?]) throws -> T) throws -> T {
    let natives = try documents.map { try $0.map(NativeBSON.init) }
    // Swift may release an object right after its last use; keep every copy alive across the C call.
    return try withExtendedLifetime(natives) { try body(natives.map { $0?.pointer }) }
}

/// An owned heap `bson_t`, destroyed when this goes away. Reach it through `withNativeBSON`.
private final class NativeBSON {
    let pointer: OpaquePointer

    init(_ document: BSONDocument) throws {
        let bytes = document.bytes()
        guard let pointer = bytes.withUnsafeBufferPointer({ bson_new_from_data($0.baseAddress, $0.count) }) else {
            throw MongoError.malformedReply("libbson refused a document of \(bytes.count) bytes")
        }
        self.pointer = pointer
    }

    deinit { bson_destroy(pointer) }
}

extension BSONDocument {
    /// Copies a document libbson owns (a cursor's current document, a reply).
    init(native pointer: OpaquePointer) throws {
        guard let data = bson_get_data(pointer) else { throw MongoError.malformedReply("null document") }
        // A BSON document starts with its total length as a little-endian int32.
        let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        do {
            try self.init(bytes: Array(UnsafeBufferPointer(start: data, count: length)))
        } catch {
            throw MongoError.malformedReply(String(describing: error))
        }
    }
}

/// Storage for a `bson_t` that libmongoc initialises as an out-parameter (a reply).
/// libmongoc calls `bson_init` on it, which marks it static: `bson_destroy` then frees only its buffer,
/// and the 128-byte-aligned storage is ours to free.
func withReply<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
    let storage = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
    storage.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
    let reply = OpaquePointer(storage)
    bson_init(reply)
    defer {
        bson_destroy(reply)
        storage.deallocate()
    }
    return try body(reply)
}
