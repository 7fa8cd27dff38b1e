/// An order object (RFC 8555 §7.1.3).
struct ACMEOrder: Decodable, Sendable {
    /// pending, ready, processing, valid or invalid.
    let status: String
    let identifiers: [ACMEIdentifier]
    let authorizations: [String]
    let finalize: String
    let certificate: String?
    let error: ACMEProblem?
}
