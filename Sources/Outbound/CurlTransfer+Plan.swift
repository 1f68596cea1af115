internal import CCurl

extension CurlTransfer {
    /// A request checked and combined with the client's configuration: everything a transfer needs,
    /// decided before it is queued, so a bad request fails without reaching the transfer loop.
    struct Plan: Sendable {
        var method: String
        var url: String
        /// scheme://host[:port]/path, for logs: never the query or user info, which may hold keys.
        var loggableURL: String
        /// "Name: value" lines for CURLOPT_HTTPHEADER.
        var headerLines: [String]
        var body: [UInt8]?
        /// nil when the request sets its own User-Agent.
        var userAgent: String?
        var maxResponseBytes: Int
        var timeout: Duration
        var connectTimeout: Duration
        var followRedirects: Bool
        var maxRedirects: Int
        var addressPolicy: AddressPolicy
        var leaveBy: ContinuousClock.Instant?
        var notBefore: ContinuousClock.Instant?

        init(request: OutboundRequest, configuration: HTTPClient.Configuration) throws(OutboundError) {
            guard Self.isToken(request.method) else {
                throw .invalidRequest("method \(String(reflecting: request.method)) is not an HTTP token")
            }
            method = request.method
            url = request.url
            leaveBy = request.leaveBy
            notBefore = request.notBefore
            loggableURL = try Self.checkURL(request.url)
            headerLines = []
            for (name, value) in request.headers {
                guard Self.isToken(name) else {
                    throw .invalidRequest("header name \(String(reflecting: name)) is not an HTTP token")
                }
                guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                    throw .invalidRequest("the value of header \(name) holds CR, LF or NUL")
                }
                // "Name;" is libcurl's way to send an empty header ("Name:" would remove it).
                headerLines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
            }
            func has(_ name: String) -> Bool {
                request.headers.contains { $0.name.lowercased() == name.lowercased() }
            }
            // Headers libcurl would otherwise invent: "Expect: 100-continue" on large bodies (a second's
            // wait with servers that ignore it) and a form Content-Type on every POST body.
            if !has("Expect") { headerLines.append("Expect:") }
            if !has("Content-Type") { headerLines.append("Content-Type:") }
            body = request.body
            userAgent = has("User-Agent") ? nil : configuration.userAgent
            maxResponseBytes = request.maxResponseBytes ?? configuration.maxResponseBytes
            timeout = request.timeout ?? configuration.timeout
            connectTimeout = configuration.connectTimeout
            followRedirects = request.followRedirects
            maxRedirects = configuration.maxRedirects
            addressPolicy = configuration.addressPolicy
        }

        /// RFC 9110 `token`: methods and header names.
        private static func isToken(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
        }

        /// Parses `url` as libcurl will and returns its loggable form; throws unless it is http(s) with a host.
        private static func checkURL(_ url: String) throws(OutboundError) -> String {
            guard let parsed = curl_url() else { throw .unavailable("out of memory") }
            defer { curl_url_cleanup(parsed) }
            // NON_SUPPORT_SCHEME: parse any scheme, so that the refusal below names it.
            let code = curl_url_set(parsed, CURLUPART_URL, url, UInt32(CURLU_NON_SUPPORT_SCHEME))
            guard code == CURLUE_OK else { throw .invalidURL(String(cString: curl_url_strerror(code))) }
            func part(_ which: CURLUPart) -> String? {
                var value: UnsafeMutablePointer<CChar>?
                guard curl_url_get(parsed, which, &value, 0) == CURLUE_OK, let value else { return nil }
                defer { curl_free(value) }
                return String(cString: value)
            }
            let scheme = part(CURLUPART_SCHEME)?.lowercased() ?? ""
            guard scheme == "http" || scheme == "https" else {
                throw .invalidURL("scheme \"\(scheme)\" is not http or https")
            }
            guard let host = part(CURLUPART_HOST), !host.isEmpty else { throw .invalidURL("no host") }
            let port = part(CURLUPART_PORT).map { ":\($0)" } ?? ""
            return "\(scheme)://\(host)\(port)\(part(CURLUPART_PATH) ?? "/")"
        }
    }
}
