@testable import Outbound
import Testing

@Suite("Response headers from libcurl's header lines")
struct ResponseHeadersTests {
    func parse(_ lines: [String]) -> [String] {
        var headers = ResponseHeaders()
        lines.forEach { headers.consume(line: $0) }
        return headers.fields.map { "\($0.name)=\($0.value)" }
    }

    @Test("only the last response's block is kept: interim 1xx and redirects are dropped")
    func lastBlock() {
        #expect(parse([
            "HTTP/1.1 100 Continue\r\n", "\r\n",
            "HTTP/1.1 302 Found\r\n", "Location: /next\r\n", "X-Hop: 1\r\n", "\r\n",
            "HTTP/2 200 \r\n", "content-type: text/plain\r\n", "X-Final:  yes \t\r\n", "\r\n",
        ]) == ["content-type=text/plain", "X-Final=yes"])
    }

    @Test("folded lines continue the value; chunked trailers are added; junk is skipped")
    func foldingAndTrailers() {
        #expect(parse([
            "HTTP/1.1 200 OK\r\n", "X-Long: first\r\n", "\t second\r\n", "not a header\r\n", "Empty:\r\n", "\r\n",
            "X-Checksum: abc\r\n", "\r\n",
        ]) == ["X-Long=first second", "Empty=", "X-Checksum=abc"])
    }
}
