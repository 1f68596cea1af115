/// What the server knows of a request once it has answered it: for the access log and for whoever
/// counts requests (the server itself keeps no tally).
public struct FinishedRequest: Sendable {
    /// nil when the request was refused before its method could be read.
    public var method: HTTPMethod?
    /// The route template the responder matched (`/v1/entities/{mediaType}/{id}`), never the path; nil: none matched.
    public var route: String?
    public var status: HTTPStatus
    /// Bytes written for the answer (head and body).
    public var bytes: Int
    /// From the end of the request's header section (or the refusal) to the answer written.
    public var duration: Duration

    public init(method: HTTPMethod?, route: String?, status: HTTPStatus, bytes: Int, duration: Duration) {
        self.method = method
        self.route = route
        self.status = status
        self.bytes = bytes
        self.duration = duration
    }
}
