/// The directory object (RFC 8555 §7.1.1): the URLs of the server's resources.
struct ACMEDirectory: Decodable, Sendable {
    let newNonce: String
    let newAccount: String
    let newOrder: String
    let meta: Meta?

    struct Meta: Decodable, Sendable {
        let termsOfService: String?
    }
}
