/// Why an ACME operation failed, with the URL requested and, when the server explained itself, its
/// problem document. Compare ``kind`` to tell failures apart; the description is meant for logs and
/// for the status an administrator sees.
public struct ACMEError: Error, Sendable, CustomStringConvertible {
    /// The class of failure. A struct rather than an enum so that new kinds do not break callers.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case directoryUnreachable = "the ACME directory could not be fetched"
            case requestFailed = "an ACME request failed"
            case serverProblem = "the ACME server refused a request"
            case unexpectedResponse = "the ACME server answered something unexpected"
            case authorizationFailed = "the ACME server could not validate a name"
            case orderFailed = "the ACME order failed"
            case timeout = "the ACME server took too long"
            case invalidRequest = "the request cannot be sent"
        }

        private let base: Base

        /// The directory URL did not answer (connection refused, DNS, TLS) or did not return a directory.
        public static let directoryUnreachable = Kind(base: .directoryUnreachable)
        /// A request after the directory could not be sent or got no answer.
        public static let requestFailed = Kind(base: .requestFailed)
        /// The server answered with an error status and (usually) a problem document: see ``ACMEError/problem``.
        public static let serverProblem = Kind(base: .serverProblem)
        /// The server's answer was not what RFC 8555 says it should be (missing header, bad JSON, bad PEM).
        public static let unexpectedResponse = Kind(base: .unexpectedResponse)
        /// An authorization ended `invalid` (or another final state than `valid`); ``ACMEError/problem``
        /// holds the challenge's error when the server gave one.
        public static let authorizationFailed = Kind(base: .authorizationFailed)
        /// The order became `invalid`.
        public static let orderFailed = Kind(base: .orderFailed)
        /// Polling went past ``ACMEPollingPolicy/timeout``.
        public static let timeout = Kind(base: .timeout)
        /// The caller's input cannot make a valid request (no host names, for example).
        public static let invalidRequest = Kind(base: .invalidRequest)

        public var description: String { base.rawValue }
    }

    /// What class of failure this is.
    public let kind: Kind
    /// The URL that was requested when it failed, if any.
    public let url: String?
    /// The HTTP status of the failing response, if there was one.
    public let httpStatus: Int?
    /// The server's problem document, if it sent one.
    public let problem: ACMEProblem?
    /// What went wrong in words: the underlying error, or what was expected.
    public let detail: String

    init(_ kind: Kind, url: String?, httpStatus: Int? = nil, problem: ACMEProblem? = nil, detail: String) {
        self.kind = kind
        self.url = url
        self.httpStatus = httpStatus
        self.problem = problem
        self.detail = detail
    }

    public var description: String {
        var text = "\(kind)"
        if let url { text += " (\(url))" }
        text += ": \(detail)"
        if let problem { text += " — \(problem)" }
        return text
    }
}
