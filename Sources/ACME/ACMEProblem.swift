import Foundation

/// A problem document (RFC 7807) an ACME server returned (RFC 8555 §6.7).
public struct ACMEProblem: Decodable, Sendable, Equatable, CustomStringConvertible {
    /// E.g. `urn:ietf:params:acme:error:rejectedIdentifier`.
    public var type: String
    /// The server's human-readable explanation.
    public var detail: String?
    /// The HTTP status the server gave, when it repeated it in the document.
    public var status: Int?
    /// The identifier a subproblem is about.
    public var identifier: ACMEIdentifier?
    /// Per-identifier problems of an order that failed for several names (RFC 8555 §6.7.1).
    public var subproblems: [ACMEProblem]?

    /// `urn:ietf:params:acme:error:badNonce`: retry with the fresh nonce of that response.
    static let badNonce = "urn:ietf:params:acme:error:badNonce"

    public init(type: String, detail: String? = nil, status: Int? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
    }

    public var description: String {
        var text = type
        if let identifier { text += " (\(identifier))" }
        if let detail { text += ": \(detail.trimmingCharacters(in: .whitespacesAndNewlines))" }
        for problem in subproblems ?? [] { text += "; \(problem)" }
        return text
    }
}
