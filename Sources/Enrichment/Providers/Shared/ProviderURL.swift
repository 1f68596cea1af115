/// Builds provider URLs from a configured base, a path and query items, percent-encoding every
/// query name and value so a title such as `Tom & Jerry + "Friends"` arrives as one value.
enum ProviderURL {
    /// `base` carries no trailing slash (see `ProviderSettings`); `path` starts with `/`.
    static func make(_ base: String, _ path: String, query: [(String, String)] = []) -> String {
        var url = base.hasSuffix("/") ? String(base.dropLast()) : base
        url += path
        if !query.isEmpty {
            url += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// RFC 3986 percent-encoding keeping only unreserved characters, so `+`, `&`, `=`, `:`, `"`
    /// and spaces (as `%20`, never `+`) cannot change the meaning of a query.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + hex(byte >> 4) + hex(byte & 0x0F)
            }
        }
        return encoded
    }

    /// A path segment taken from input (an ISBN, a MusicBrainz ID): encoded like a query value.
    static func segment(_ text: String) -> String { encode(text) }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hex(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? nibble + 48 : nibble + 55))
    }
}
