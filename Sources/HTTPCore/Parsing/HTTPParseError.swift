/// Why a request was refused: the status to answer with and a short sentence fit for an RFC 9457
/// problem `detail`. A detail never quotes more than a few bytes of what the client sent.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let detail: String

    public init(status: HTTPStatus, detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { "\(status): \(detail)" }

    static func badRequest(_ detail: String) -> HTTPParseError { HTTPParseError(status: .badRequest, detail: detail) }

    static let bareLF = badRequest("a line ends with a bare LF; lines must end with CRLF")
    static let bareCR = badRequest("a CR is not followed by LF; lines must end with CRLF")
}
