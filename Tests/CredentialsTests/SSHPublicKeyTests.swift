import Foundation
import Systemd
import Testing

@testable import Credentials

/// Keys are generated for real with ssh-keygen, and fingerprints compared with its own output.
@Suite struct SSHPublicKeyTests {
    struct GeneratedKey {
        let line: String
        /// `ssh-keygen -lf` output: "<bits> SHA256:<hash> <comment> (<TYPE>)".
        let keygenListing: String
    }

    static func run(_ argv: [String]) throws -> String {
        let result = try ProgramRun(argv[0], Array(argv.dropFirst()), environment: ProcessInfo.processInfo.environment).runBlocking()
        #expect(result.exitCode == 0, "\(argv) failed: \(result)")
        return result.stdoutText
    }

    static func generate(_ keygenArguments: [String], comment: String = "alice@laptop") throws -> GeneratedKey {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sshkey-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("id").path
        _ = try run(["/usr/bin/ssh-keygen", "-q"] + keygenArguments + ["-N", "", "-C", comment, "-f", keyPath])
        let line = try String(contentsOfFile: keyPath + ".pub", encoding: .utf8)
        let listing = try run(["/usr/bin/ssh-keygen", "-lf", keyPath + ".pub"])
        return GeneratedKey(line: line, keygenListing: listing)
    }

    /// Parses a generated key and checks it against ssh-keygen's own view of it.
    func expectAccepted(_ keygenArguments: [String], type: SSHPublicKey.KeyType, bits: Int) throws {
        let generated = try Self.generate(keygenArguments)
        let key = try SSHPublicKey(authorizedKeysLine: generated.line)
        let listing = generated.keygenListing.split(separator: " ")
        #expect(key.type == type)
        #expect(key.bits == bits)
        #expect(String(listing[0]) == String(bits))
        #expect(key.fingerprint == String(listing[1]))
        #expect(key.comment == "alice@laptop")
        let fields = generated.line.split(separator: " ")
        #expect(key.canonical == "\(fields[0]) \(fields[1])")
        #expect(key.blob == Data(base64Encoded: String(fields[1])))
    }

    @Test func acceptsEd25519() throws {
        try expectAccepted(["-t", "ed25519"], type: .ed25519, bits: 256)
    }

    @Test(arguments: [(256, SSHPublicKey.KeyType.ecdsaNISTP256), (384, .ecdsaNISTP384), (521, .ecdsaNISTP521)])
    func acceptsECDSA(bits: Int, type: SSHPublicKey.KeyType) throws {
        try expectAccepted(["-t", "ecdsa", "-b", String(bits)], type: type, bits: bits)
    }

    @Test func acceptsRSA3072() throws {
        try expectAccepted(["-t", "rsa", "-b", "3072"], type: .rsa, bits: 3072)
    }

    @Test func rejectsRSA2048WithItsSize() throws {
        let generated = try Self.generate(["-t", "rsa", "-b", "2048"])
        let error = #expect(throws: SSHKeyError.self) { try SSHPublicKey(authorizedKeysLine: generated.line) }
        #expect(error?.kind == .rsaKeyTooSmall)
        #expect(error?.description.contains("at least 3072 bits; this one has 2048") == true)
    }

    @Test func commentIsOptionalAndSurroundingWhitespaceIgnored() throws {
        let generated = try Self.generate(["-t", "ed25519"])
        let fields = generated.line.split(separator: " ")
        let bare = try SSHPublicKey(authorizedKeysLine: "  \(fields[0])\t\(fields[1])\n")
        #expect(bare.comment == "")
        let spaced = try SSHPublicKey(authorizedKeysLine: "\(fields[0]) \(fields[1]) my work laptop")
        #expect(spaced.comment == "my work laptop")
        #expect(spaced.canonical == bare.canonical)
        #expect(spaced.fingerprint == bare.fingerprint)
    }

    // MARK: Rejections

    /// A wire-format string: 32-bit length, then bytes.
    static func wireString(_ bytes: [UInt8]) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + bytes
    }

    static func ed25519Blob() -> [UInt8] {
        wireString(Array("ssh-ed25519".utf8)) + wireString([UInt8](repeating: 7, count: 32))
    }

    static func line(_ type: String, _ blob: [UInt8], comment: String = "") -> String {
        "\(type) \(Data(blob).base64EncodedString())" + (comment.isEmpty ? "" : " \(comment)")
    }

    func expectRejected(_ line: String, _ kind: SSHKeyError.Kind, mentioning fragment: String = "") {
        let error = #expect(throws: SSHKeyError.self) { try SSHPublicKey(authorizedKeysLine: line) }
        #expect(error?.kind == kind, "\(String(describing: error))")
        if !fragment.isEmpty {
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }

    @Test func syntheticEd25519BlobIsAcceptedAsAControl() throws {
        let key = try SSHPublicKey(authorizedKeysLine: Self.line("ssh-ed25519", Self.ed25519Blob()))
        #expect(key.bits == 256)
    }

    @Test func rejectsGarbage() {
        expectRejected("", .empty)
        expectRejected("   \n", .empty)
        expectRejected("hello world", .unsupportedType, mentioning: "ssh-ed25519")
        expectRejected("ssh-ed25519", .malformed)
        expectRejected("ssh-ed25519 !!!not-base64!!!", .malformed)
        expectRejected("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", .malformed)  // unpadded base64
        expectRejected(Data(Self.ed25519Blob()).base64EncodedString(), .malformed, mentioning: "type is missing")
    }

    @Test func rejectsTruncatedAndTrailingData() {
        let blob = Self.ed25519Blob()
        expectRejected(Self.line("ssh-ed25519", Array(blob.dropLast(5))), .invalidKeyData, mentioning: "truncated")
        expectRejected(Self.line("ssh-ed25519", Array(blob.prefix(3))), .invalidKeyData)
        expectRejected(Self.line("ssh-ed25519", blob + [0, 0, 0, 0]), .invalidKeyData, mentioning: "unexpected bytes")
        let shortKey = Self.wireString(Array("ssh-ed25519".utf8)) + Self.wireString([1, 2, 3])
        expectRejected(Self.line("ssh-ed25519", shortKey), .invalidKeyData, mentioning: "32 bytes")
    }

    @Test func rejectsTypeMismatches() throws {
        expectRejected(Self.line("ssh-rsa", Self.ed25519Blob()), .typeMismatch, mentioning: "ssh-ed25519")
        let generated = try Self.generate(["-t", "ecdsa", "-b", "256"])
        let fields = generated.line.split(separator: " ")
        expectRejected("ecdsa-sha2-nistp384 \(fields[1])", .typeMismatch)
        // Right type name inside, wrong curve.
        let point = [UInt8(4)] + [UInt8](repeating: 1, count: 64)
        let wrongCurve = Self.wireString(Array("ecdsa-sha2-nistp256".utf8)) + Self.wireString(Array("nistp384".utf8))
            + Self.wireString(point)
        expectRejected(Self.line("ecdsa-sha2-nistp256", wrongCurve), .typeMismatch, mentioning: "nistp256")
        let shortPoint = Self.wireString(Array("ecdsa-sha2-nistp256".utf8)) + Self.wireString(Array("nistp256".utf8))
            + Self.wireString(Array(point.dropLast()))
        expectRejected(Self.line("ecdsa-sha2-nistp256", shortPoint), .invalidKeyData)
    }

    @Test func rejectsUnsupportedTypesNamingTheAcceptedOnes() {
        let dss = Self.wireString(Array("ssh-dss".utf8)) + Self.wireString([0x01]) + Self.wireString([0x01])
            + Self.wireString([0x01]) + Self.wireString([0x01])
        expectRejected(Self.line("ssh-dss", dss), .unsupportedType, mentioning: "DSA")
        expectRejected(Self.line("ssh-dss", dss), .unsupportedType, mentioning: "Accepted key types are ssh-ed25519")
        let sk = Self.wireString(Array("sk-ssh-ed25519@openssh.com".utf8)) + Self.wireString([UInt8](repeating: 1, count: 32))
            + Self.wireString(Array("ssh:".utf8))
        expectRejected(Self.line("sk-ssh-ed25519@openssh.com", sk), .unsupportedType, mentioning: "Security-key")
        expectRejected(Self.line("ssh-ed25519-cert-v01@openssh.com", Self.ed25519Blob()), .unsupportedType)
    }

    @Test func rejectsRSAWithImpossibleNumbers() {
        let modulus = [UInt8(0x00), 0xC0] + [UInt8](repeating: 0xFF, count: 383)  // 3072 bits
        let negativeModulus = Self.wireString(Array("ssh-rsa".utf8)) + Self.wireString([1, 0, 1])
            + Self.wireString(Array(modulus.dropFirst()))
        expectRejected(Self.line("ssh-rsa", negativeModulus), .invalidKeyData, mentioning: "positive")
        let evenExponent = Self.wireString(Array("ssh-rsa".utf8)) + Self.wireString([2]) + Self.wireString(modulus)
        expectRejected(Self.line("ssh-rsa", evenExponent), .invalidKeyData, mentioning: "exponent")
        let good = Self.wireString(Array("ssh-rsa".utf8)) + Self.wireString([1, 0, 1]) + Self.wireString(modulus)
        #expect((try? SSHPublicKey(authorizedKeysLine: Self.line("ssh-rsa", good)))?.bits == 3072)
    }

    @Test func rejectsOptionsSeveralLinesAndOverlongInput() throws {
        let generated = try Self.generate(["-t", "ed25519"])
        let line = generated.line.trimmingCharacters(in: .newlines)
        expectRejected("no-pty \(line)", .optionsNotAllowed)
        expectRejected("command=\"/bin/sh\" \(line)", .optionsNotAllowed)
        expectRejected("\(line)\n\(line)", .multipleLines)
        expectRejected("\(line)\r\nssh-ed25519", .multipleLines)
        expectRejected(line + " " + String(repeating: "x", count: 17 * 1024), .tooLong)
        expectRejected(line + " bad\u{7}comment", .malformed, mentioning: "control characters")
    }
}
