import Testing

@testable import Credentials

@Suite struct SecretTokenTests {
    @Test(arguments: [SecretToken.Prefix.session, SecretToken.Prefix.apiToken, SecretToken.Prefix.nonce, ""])
    func tokensAreRandomURLSafeAndPrefixed(prefix: String) {
        let first = SecretToken.generate(prefix: prefix)
        let second = SecretToken.generate(prefix: prefix)
        #expect(first != second)
        #expect(first.hasPrefix(prefix))
        let body = first.dropFirst(prefix.count)
        #expect(body.count == 43)  // 32 bytes in unpadded base64
        let urlSafe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(body.allSatisfy { urlSafe.contains($0) })
    }

    @Test func prefixesAreTheDocumentedOnes() {
        #expect(SecretToken.Prefix.session == "pts_")
        #expect(SecretToken.Prefix.apiToken == "ptk_")
        #expect(SecretToken.Prefix.nonce == "ptn_")
    }

    @Test func hashIsSHA256Hex() {
        // FIPS 180-2 test vector.
        #expect(SecretToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SecretToken.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func equalsComparesWholeValues() {
        let token = SecretToken.generate(prefix: SecretToken.Prefix.session)
        #expect(SecretToken.equals(token, token))
        #expect(SecretToken.equals(SecretToken.hash(token), SecretToken.hash(token)))
        #expect(!SecretToken.equals(token, String(token.dropLast())))
        #expect(!SecretToken.equals(token, token + "x"))
        #expect(!SecretToken.equals("", token))
        #expect(SecretToken.equals("", ""))
    }
}
