import Crypto
import Foundation

/// The ACME account's P-256 key as JOSE sees it: the public JWK, its RFC 7638 thumbprint and ES256
/// signatures (the raw 64-byte r||s form JWS wants, not DER).
struct AccountKey: Sendable {
    let privateKey: P256.Signing.PrivateKey

    /// The public key as a JWK, members in lexicographic order with no white space: the exact form
    /// RFC 7638 hashes for the thumbprint, and a valid JSON object to embed in a JWS header.
    let canonicalJWK: String
    /// base64url(SHA-256(canonical JWK)), the second half of every key authorization.
    let thumbprint: String
    private let jwk: JWK

    init(_ privateKey: P256.Signing.PrivateKey) {
        self.privateKey = privateKey
        // x9.63 raw representation: x (32 bytes) then y (32 bytes).
        let raw = Array(privateKey.publicKey.rawRepresentation)
        let x = Base64URL.encode(raw[0..<32])
        let y = Base64URL.encode(raw[32..<64])
        jwk = JWK(x: x, y: y)
        canonicalJWK = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        thumbprint = Base64URL.encode(SHA256.hash(data: Data(canonicalJWK.utf8)))
    }

    /// `token "." thumbprint`, what an HTTP-01 challenge must serve (RFC 8555 §8.1).
    func keyAuthorization(token: String) -> String {
        token + "." + thumbprint
    }

    /// A flattened JWS JSON serialization (RFC 7515 §7.2.2) of `payload` for `url`.
    /// - Parameters:
    ///   - payload: The JSON payload; nil for POST-as-GET (an empty payload, RFC 8555 §6.3).
    ///   - keyID: The account URL; nil to embed the public key instead (newAccount only).
    func sign(payload: [UInt8]?, url: String, nonce: String, keyID: String?) throws -> [UInt8] {
        // The server chooses nonces and URLs: JSONEncoder escapes them, whatever they hold.
        let header = ProtectedHeader(nonce: nonce, url: url, kid: keyID, jwk: keyID == nil ? jwk : nil)
        let protected = Base64URL.encode(Array(try JSONEncoder().encode(header)))
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try privateKey.signature(for: Data((protected + "." + encodedPayload).utf8))
        // Every member is base64url: nothing to escape.
        let body = #"{"protected":"\#(protected)","payload":"\#(encodedPayload)","signature":"\#(Base64URL.encode(signature.rawRepresentation))"}"#
        return Array(body.utf8)
    }

    /// The public key as a JWK object.
    private struct JWK: Encodable, Sendable {
        var crv = "P-256"
        var kty = "EC"
        let x: String
        let y: String
    }

    /// The JWS protected header: `kid` or `jwk`, never both (nil members are left out).
    private struct ProtectedHeader: Encodable {
        var alg = "ES256"
        let nonce: String
        let url: String
        let kid: String?
        let jwk: JWK?
    }
}
