internal import CCurl
import Synchronization

/// One request on its own libcurl easy handle, driven by the client's `TransferLoop` on the loop's thread
/// through the loop's multi handle, whose connection cache it shares with every other transfer.
///
/// libcurl's callbacks get this object as their userdata (`Unmanaged`, unretained): the loop keeps it in
/// its table of running transfers until it has taken the handle out of the multi handle, after which
/// libcurl calls none of them. Not `Sendable`: it is created, driven and dropped on the loop's thread;
/// only `Cancellation` crosses.
final class CurlTransfer {
    /// Set from the cancelled task's thread, read on the loop's thread (by the progress callback, and
    /// when the loop picks up the cancellation).
    final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        func cancel() { flag.store(true, ordering: .relaxed) }
        var isCancelled: Bool { flag.load(ordering: .relaxed) }
    }

    let plan: Plan
    let cancellation: Cancellation
    /// The easy handle, owned by this transfer: cleaned up in `deinit`, once the loop has removed it
    /// from the multi handle.
    let handle: UnsafeMutableRawPointer
    /// When the loop handed the transfer to libcurl, and when it must be over (`plan.timeout` later,
    /// clamped as libcurl's is): the loop ends it there even while it waits for a connection, where
    /// libcurl 7.88 does not check its own timeout.
    private(set) var started = ContinuousClock.now
    private(set) var deadline = ContinuousClock.now

    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// CURLOPT_ERRORBUFFER: libcurl writes its detailed message here; it must live until cleanup.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    // State the callbacks build up while the transfer runs.
    private var body: [UInt8] = []
    private var headers = ResponseHeaders()
    private var bodyTooLarge = false
    /// Why the address policy refused the addresses libcurl tried to dial, in order.
    private var refusals: [String] = []
    /// True from the start and from each new socket until the connection is ready for the request
    /// (a reused connection is ready at once).
    private var awaitingConnection = true

    /// Makes the easy handle and sets every option; `share` holds the DNS cache and TLS sessions the
    /// client's transfers share.
    init(plan: Plan, cancellation: Cancellation, share: UnsafeMutableRawPointer?) throws(OutboundError) {
        guard let handle = curl_easy_init() else { throw .unavailable("curl_easy_init failed") }
        self.plan = plan
        self.cancellation = cancellation
        self.handle = handle
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(share: share)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)  // after the handle: the handle points at the list until cleanup
        errorBuffer.deallocate()
    }

    /// `curl_global_init`, once per process (thread-safe in the shim).
    static func initializeLibrary() {
        let code = ccurl_global_init()
        precondition(code == CURLE_OK, "curl_global_init failed: \(String(cString: curl_easy_strerror(code)))")
    }

    /// Called by the loop as it adds the handle to the multi handle: the clocks start here.
    func begin(at now: ContinuousClock.Instant) {
        started = now
        deadline = now + .milliseconds(Self.milliseconds(plan.timeout))
    }

    /// The outcome once libcurl reports the transfer done with `code`.
    func result(_ code: CURLcode) -> Result<OutboundResponse, OutboundError> {
        guard code == CURLE_OK else {
            return .failure(error(for: code, elapsed: ContinuousClock.now - started))
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effectiveURL: UnsafePointer<CChar>?
        _ = ccurl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effectiveURL)
        return .success(OutboundResponse(
            status: status, headers: headers.fields, body: body,
            url: effectiveURL.map { String(cString: $0) } ?? plan.url))
    }

    // MARK: - Options

    private func configure(share: UnsafeMutableRawPointer?) throws(OutboundError) {
        func check(_ code: CURLcode, _ what: String) throws(OutboundError) {
            guard code == CURLE_OK else {
                throw .unavailable("libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        func set(_ option: CURLoption, _ value: Int, _ what: String) throws(OutboundError) {
            try check(ccurl_setopt_long(handle, option, value), what)
        }
        func set(_ option: CURLoption, _ value: String, _ what: String) throws(OutboundError) {
            try check(ccurl_setopt_string(handle, option, value), what)  // libcurl copies the string
        }

        try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        if let share {
            try check(ccurl_setopt_pointer(handle, CURLOPT_SHARE, share), "CURLOPT_SHARE")
        }
        try set(CURLOPT_URL, plan.url, "CURLOPT_URL")
        try set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "CURLOPT_REDIR_PROTOCOLS_STR")
        // An empty proxy disables proxies, including http_proxy & co. from the environment: through a
        // proxy, the address dialled (and vetted) would be the proxy's, not the target's.
        try set(CURLOPT_PROXY, "", "CURLOPT_PROXY")
        // No SIGALRM for DNS timeouts: this is a multi-threaded process (libcurl-thread(3)).
        try set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(plan.connectTimeout), "CURLOPT_CONNECTTIMEOUT_MS")
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(plan.timeout), "CURLOPT_TIMEOUT_MS")
        if plan.followRedirects {
            try set(CURLOPT_FOLLOWLOCATION, 1, "CURLOPT_FOLLOWLOCATION")
            try set(CURLOPT_MAXREDIRS, plan.maxRedirects, "CURLOPT_MAXREDIRS")
        }
        // "" offers every encoding this libcurl decodes; the byte cap then counts decoded bytes.
        try set(CURLOPT_ACCEPT_ENCODING, "", "CURLOPT_ACCEPT_ENCODING")
        if let userAgent = plan.userAgent {
            try set(CURLOPT_USERAGENT, userAgent, "CURLOPT_USERAGENT")
        }
        for line in plan.headerLines {
            guard let list = curl_slist_append(headerList, line) else { throw .unavailable("out of memory") }
            headerList = list
        }
        try check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
        try configureMethod(check: check, set: set)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(ccurl_set_opensocket_callback(handle, { context, purpose, address in
            CurlTransfer.from(context).openSocket(address)
        }, context), "CURLOPT_OPENSOCKETFUNCTION")
        try check(ccurl_set_prereq_callback(handle, { context, _, _, _, _ in
            CurlTransfer.from(context).awaitingConnection = false
            return CURL_PREREQFUNC_OK
        }, context), "CURLOPT_PREREQFUNCTION")
        try check(ccurl_set_header_callback(handle, { data, size, count, context in
            CurlTransfer.from(context).receiveHeader(data, size * count)
        }, context), "CURLOPT_HEADERFUNCTION")
        try check(ccurl_set_write_callback(handle, { data, size, count, context in
            CurlTransfer.from(context).receiveBody(data, size * count)
        }, context), "CURLOPT_WRITEFUNCTION")
        try check(ccurl_set_progress_callback(handle, { context, _, _, _, _ in
            CurlTransfer.from(context).cancellation.isCancelled ? 1 : 0
        }, context), "CURLOPT_XFERINFOFUNCTION")
    }

    private func configureMethod(
        check: (CURLcode, String) throws(OutboundError) -> Void,
        set: (CURLoption, Int, String) throws(OutboundError) -> Void
    ) throws(OutboundError) {
        if plan.method == "HEAD" {
            // No MAXFILESIZE either: libcurl would compare it with the Content-Length of a body never sent.
            try set(CURLOPT_NOBODY, 1, "CURLOPT_NOBODY")
            return
        }
        if plan.body != nil || plan.method == "POST" {
            // Sets the method to POST; CUSTOMREQUEST below renames it for PUT, PATCH, a GET with a body...
            var bytes = plan.body ?? []
            try check(ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)),
                      "CURLOPT_POSTFIELDSIZE_LARGE")
            // COPYPOSTFIELDS copies `POSTFIELDSIZE` bytes now, so the array need not outlive this call.
            if bytes.isEmpty { bytes = [0] }
            let code = bytes.withUnsafeMutableBytes {
                ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress)
            }
            try check(code, "CURLOPT_COPYPOSTFIELDS")
        }
        if plan.method != "POST" && !(plan.method == "GET" && plan.body == nil) {
            try check(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, plan.method), "CURLOPT_CUSTOMREQUEST")
        }
        // A cap of 0 would mean "no limit" to libcurl; the write callback enforces every cap anyway.
        if plan.maxResponseBytes > 0 {
            try check(ccurl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(plan.maxResponseBytes)),
                      "CURLOPT_MAXFILESIZE_LARGE")
        }
    }

    /// Milliseconds for libcurl, rounded up, at least 1 (0 would mean "no limit"), at most about 24 days.
    static func milliseconds(_ duration: Duration) -> Int {
        let millis = (duration / .milliseconds(1)).rounded(.up)
        return millis >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(millis))
    }

    // MARK: - Callbacks (on the loop's thread, inside curl_multi_perform)

    private static func from(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    }

    /// The server-side request forgery guard: every connection libcurl makes, to every redirect hop and
    /// every address a name resolves to, is opened here, after the address policy approved the address.
    /// A connection libcurl reuses was opened here too, by an earlier transfer of the same client, so under
    /// the same policy: the policy is fixed per client, and each client has its own multi handle.
    private func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t {
        guard let address else { return CURL_SOCKET_BAD }
        var bytes = [UInt8](repeating: 0, count: 16)
        let ip: IPAddress
        switch ccurl_sockaddr_ip(address, &bytes) {
        case 4: ip = .v4(Array(bytes.prefix(4)))
        case 16: ip = .v6(bytes)
        default:
            refusals.append("address family \(address.pointee.family) is not IPv4 or IPv6")
            return CURL_SOCKET_BAD
        }
        if let reason = plan.addressPolicy.refusal(for: ip) {
            refusals.append(reason.contains(ip.description) ? reason : "\(ip): \(reason)")
            return CURL_SOCKET_BAD
        }
        awaitingConnection = true
        return ccurl_open_socket(address)
    }

    private func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        headers.consume(line: String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self))
        return count
    }

    /// Stops the transfer (by returning less than `count`) as soon as the body would pass the cap.
    private func receiveBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        guard count <= plan.maxResponseBytes - body.count else {
            bodyTooLarge = true
            return 0
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    // MARK: - Errors

    private func error(for code: CURLcode, elapsed: Duration) -> OutboundError {
        // curl_easy_strerror names the class ("Couldn't resolve host name"); the error buffer, when
        // filled, says what happened ("Could not resolve host: covers.example.org"). Hosts, never queries.
        let summary = String(cString: curl_easy_strerror(code))
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? summary : detail.contains(summary) ? detail : "\(summary): \(detail)"
        switch code {
        case CURLE_COULDNT_CONNECT where !refusals.isEmpty:
            return .blockedAddress(refusals.joined(separator: "; "))
        case CURLE_OPERATION_TIMEDOUT:
            return awaitingConnection && elapsed < plan.timeout ? .connectTimeout : .timeout
        case CURLE_WRITE_ERROR where bodyTooLarge, CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(limit: plan.maxResponseBytes)
        case CURLE_TOO_MANY_REDIRECTS:
            return .tooManyRedirects(limit: plan.maxRedirects)
        case CURLE_ABORTED_BY_CALLBACK where cancellation.isCancelled:
            return .cancelled
        case CURLE_UNSUPPORTED_PROTOCOL:
            // The URL was checked before; this is a redirect to another scheme (file://, ftp://...).
            return .invalidURL("redirect to a scheme other than http or https (\(message))")
        case CURLE_URL_MALFORMAT:
            return .invalidURL(message)
        default:
            return .connection(message)
        }
    }
}
