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

    init(_ privateKey: P256.Signing.PrivateKey) {
        self.privateKey = privateKey
        // x9.63 raw representation: x (32 bytes) then y (32 bytes).
        let raw = Array(privateKey.publicKey.rawRepresentation)
        let x = Base64URL.encode(raw[0..<32])
        let y = Base64URL.encode(raw[32..<64])
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
        var header = #"{"alg":"ES256","nonce":\#(Self.jsonString(nonce)),"url":\#(Self.jsonString(url)),"#
        if let keyID {
            header += #""kid":\#(Self.jsonString(keyID))}"#
        } else {
            header += #""jwk":\#(canonicalJWK)}"#
        }
        let protected = Base64URL.encode(Array(header.utf8))
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try privateKey.signature(for: Data((protected + "." + encodedPayload).utf8))
        let body = #"{"protected":"\#(protected)","payload":"\#(encodedPayload)","signature":"\#(Base64URL.encode(signature.rawRepresentation))"}"#
        return Array(body.utf8)
    }

    /// A JSON string literal for `text` (the server chooses nonces and URLs: never trust them to need no escaping).
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
