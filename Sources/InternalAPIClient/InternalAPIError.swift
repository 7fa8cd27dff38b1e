/// A request to the API's internal socket that failed: the socket could not be reached, the API answered
/// with an error status, or the answer could not be read.
public struct InternalAPIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `code` when the socket could not be reached (no HTTP status).
    public static let unreachable = "unreachable"
    /// `code` when the answer is not the JSON the route promises.
    public static let invalidResponse = "invalid_response"
    /// `code` when no request could be built (e.g. an unusable socket path).
    public static let invalidRequest = "invalid_request"

    /// What was sent, e.g. `GET /internal/v1/projects/alice/site`.
    public let request: String
    /// The socket the request went to.
    public let socketPath: String
    /// The HTTP status, or nil when there was no answer.
    public let status: Int?
    /// The API's error code (`not_found`, `forbidden`, ...) or one of ``unreachable``, ``invalidResponse``,
    /// ``invalidRequest``.
    public let code: String
    /// The API's message, or what went wrong.
    public let message: String

    /// - Parameters:
    ///   - request: What was sent.
    ///   - socketPath: Where it was sent.
    ///   - status: The HTTP status, if any.
    ///   - code: The error code.
    ///   - message: The error message.
    public init(request: String, socketPath: String, status: Int?, code: String, message: String) {
        self.request = request
        self.socketPath = socketPath
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String {
        var text = "internal API \(request) on \(socketPath) failed"
        if let status { text += " with status \(status)" }
        text += ": \(code): \(message)"
        switch (status, code) {
        case (nil, Self.unreachable):
            text += "; is paastech-api running (systemctl status paastech-api.socket)?"
        case (403?, _):
            text += "; add this service's user to [api] internal_allowed_users"
        default:
            break
        }
        return text
    }
}
