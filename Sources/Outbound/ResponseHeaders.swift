/// The header fields of the last response in a transfer, built line by line as libcurl reports them.
///
/// libcurl hands over every header block it reads: interim 1xx responses, each redirect's response, the
/// final response, then any chunked trailers. A status line starts a new block, so only the last stays.
struct ResponseHeaders {
    private(set) var fields: [(name: String, value: String)] = []

    /// One header line as libcurl delivers it, CRLF included.
    mutating func consume(line text: String) {
        var line = Substring(text)
        while let last = line.last, last == "\r\n" || last == "\n" || last == "\r" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            fields.removeAll()
        } else if line.isEmpty {
            return  // end of a block
        } else if line.first == " " || line.first == "\t" {
            // Obsolete line folding (RFC 9112 section 5.2): the line continues the previous value.
            guard !fields.isEmpty else { return }
            fields[fields.count - 1].value += " " + Self.trimmed(line)
        } else if let colon = line.firstIndex(of: ":") {
            fields.append((String(line[..<colon]), Self.trimmed(line[line.index(after: colon)...])))
        }
    }

    private static func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
