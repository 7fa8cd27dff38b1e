import Testing

@testable import Credentials

@Suite struct PasswordHasherTests {
    /// Cheap parameters where the cost itself is not under test.
    let fastHasher = PasswordHasher(parameters: ScryptParameters(logN: 10, r: 8, p: 1))

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func scryptMatchesRFC7914TestVectors() throws {
        let nacl = try Scrypt.deriveKey(
            password: Array("password".utf8), salt: Array("NaCl".utf8),
            parameters: ScryptParameters(logN: 10, r: 8, p: 16), length: 64
        )
        #expect(nacl == Self.hex(
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        ))
        let empty = try Scrypt.deriveKey(
            password: [], salt: [], parameters: ScryptParameters(logN: 4, r: 1, p: 1), length: 64
        )
        #expect(empty == Self.hex(
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        ))
    }

    @Test func defaultParametersProduceTheDocumentedFormat() throws {
        let hasher = PasswordHasher()
        let stored = try hasher.hash("correct horse battery staple")
        #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        let fields = stored.split(separator: "$")
        #expect(fields.count == 4)
        #expect(fields[2].count == 22)  // 16-byte salt, unpadded base64
        #expect(fields[3].count == 43)  // 32-byte key, unpadded base64
        #expect(!fields[2].contains("=") && !fields[3].contains("="))
        #expect(!stored.contains("correct horse"))
        #expect(hasher.verify("correct horse battery staple", against: stored))
        #expect(!hasher.verify("correct horse battery stapler", against: stored))
        #expect(!hasher.needsRehash(stored))
    }

    @Test func verifiesAHashMadeByAnotherImplementation() {
        // Made with Python's hashlib.scrypt (n=1024, r=8, p=1, salt 00…0f, 32-byte key).
        let stored = "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY"
        #expect(fastHasher.verify("correct horse battery staple ✓", against: stored))
        #expect(!fastHasher.verify("correct horse battery staple", against: stored))
        #expect(PasswordHasher().needsRehash(stored))
        #expect(!fastHasher.needsRehash(stored))
    }

    @Test func theUnusableHashIsWellFormedButMatchesNothing() {
        let hasher = PasswordHasher()
        #expect(ScryptHashString(parsing: PasswordHasher.unusableHash) != nil)
        #expect(!hasher.needsRehash(PasswordHasher.unusableHash))  // costs the same as a real hash
        #expect(!hasher.verify("", against: PasswordHasher.unusableHash))
        #expect(!hasher.verify("not the scrypt key of a password", against: PasswordHasher.unusableHash))
    }

    @Test func twoHashesOfOnePasswordDiffer() throws {
        let first = try fastHasher.hash("same password")
        let second = try fastHasher.hash("same password")
        #expect(first != second)
        #expect(fastHasher.verify("same password", against: first))
        #expect(fastHasher.verify("same password", against: second))
    }

    @Test func tamperedHashesDoNotVerify() throws {
        let stored = try fastHasher.hash("a good password")
        var fields = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        for index in [3, 4] {
            var tampered = fields
            let first = tampered[index].removeFirst()
            tampered[index].insert(first == "A" ? "B" : "A", at: tampered[index].startIndex)
            #expect(!fastHasher.verify("a good password", against: tampered.joined(separator: "$")))
        }
        fields[2] = "ln=11,r=8,p=1"
        #expect(!fastHasher.verify("a good password", against: fields.joined(separator: "$")))
    }

    @Test(arguments: [
        "",
        "plain text",
        "$scrypt$",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$not base64!$",
        "$scrypt$ln=10,r=8$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$r=8,ln=10,p=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=10,r=8,p=1,x=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=-1,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=21,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=99999999999,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=10,r=8,p=1000$AAECAwQFBgcICQoLDA0ODw$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=10,r=8,p=1$AAEC$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$ptS1ZKP5pgQ/4PRqX83T54+nV8UKeOPx6ECNIBvuCEY",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
    ])
    func malformedStoredHashesNeverVerify(stored: String) {
        #expect(!fastHasher.verify("correct horse battery staple ✓", against: stored))
        #expect(fastHasher.needsRehash(stored))
    }

    @Test func absurdParametersAreRefusedForNewHashes() {
        let hasher = PasswordHasher(parameters: ScryptParameters(logN: 24, r: 8, p: 1))
        #expect(throws: CryptographyError.self) { try hasher.hash("whatever password") }
    }

    @Test func asyncVariantsWorkOffThePool() async throws {
        let stored = try await fastHasher.hash("async password!")
        #expect(await fastHasher.verify("async password!", against: stored))
        #expect(await !fastHasher.verify("other password", against: stored))
    }

    @Test func policyEnforcesLengthInBytes() throws {
        #expect(throws: PasswordPolicyError.self) { try PasswordPolicy.validate("short") }
        #expect(throws: PasswordPolicyError.self) { try PasswordPolicy.validate(String(repeating: "x", count: 257)) }
        try PasswordPolicy.validate("0123456789")
        try PasswordPolicy.validate(String(repeating: "x", count: 256))
        // Five two-byte characters are ten bytes.
        try PasswordPolicy.validate("ééééé")
        let error = #expect(throws: PasswordPolicyError.self) { try PasswordPolicy.validate("abc") }
        #expect(error?.description.contains("at least 10") == true)
    }
}
