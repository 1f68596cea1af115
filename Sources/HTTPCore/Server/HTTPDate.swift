import Foundation
import Synchronization

/// The `Date` header's value (RFC 9110 §5.6.7), formatted once a second rather than once a response.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: [UInt8])>((-1, []))

    static func now() -> [UInt8] {
        var seconds = time(nil)
        return cache.withLock { cache in
            if cache.second == seconds { return cache.text }
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var text = [Int8](repeating: 0, count: 64)
            let count = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            cache = (seconds, text[..<count].map { UInt8(bitPattern: $0) })
            return cache.text
        }
    }
}
