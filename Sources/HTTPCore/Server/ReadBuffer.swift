/// Bytes received but not yet parsed. Grows up to a limit, and moves unread bytes to the front only when
/// space runs out, so each byte is copied a bounded number of times.
struct ReadBuffer {
    private var storage: [UInt8]
    private var start = 0
    private var end = 0
    private let limit: Int
    /// Read at least this much at a time.
    private static let minimumRead = 2048

    init(capacity: Int, limit: Int) {
        storage = [UInt8](repeating: 0, count: capacity)
        self.limit = max(limit, capacity)
    }

    var unread: Int { end - start }

    func withUnread<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    mutating func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Makes room to read into; false when the unread bytes already fill the limit.
    mutating func reserve() -> Bool {
        if storage.count - end >= Self.minimumRead { return true }
        if start > 0 {
            storage.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
            if storage.count - end >= Self.minimumRead { return true }
        }
        guard storage.count < limit else { return end < storage.count }
        storage.append(contentsOf: repeatElement(0, count: min(storage.count, limit - storage.count)))
        return true
    }

    mutating func withFreeSpace<T>(_ body: (UnsafeMutableRawBufferPointer) -> T) -> T {
        let end = self.end
        return storage.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[end...])) }
    }

    mutating func received(_ count: Int) { end += count }
}
