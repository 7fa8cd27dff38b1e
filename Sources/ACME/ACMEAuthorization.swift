/// An authorization object (RFC 8555 §7.1.4) and its challenges.
struct ACMEAuthorization: Decodable, Sendable {
    let identifier: ACMEIdentifier
    /// pending, valid, invalid, deactivated, expired or revoked.
    let status: String
    let challenges: [Challenge]

    /// A challenge object (RFC 8555 §7.1.5, §8).
    struct Challenge: Decodable, Sendable {
        let type: String
        let url: String
        /// pending, processing, valid or invalid.
        let status: String
        let token: String?
        let error: ACMEProblem?
    }

    /// The first failed challenge's problem, which says why the authorization became invalid.
    var failure: ACMEProblem? {
        challenges.lazy.compactMap(\.error).first
    }
}
