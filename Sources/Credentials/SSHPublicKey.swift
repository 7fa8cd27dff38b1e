import Foundation

/// A user's SSH public key, parsed from one OpenSSH `authorized_keys`-style line
/// (`<type> <base64> [comment]`, as in `~/.ssh/id_ed25519.pub`) and checked for consistency.
public struct SSHPublicKey: Sendable, Equatable {
    /// The key types the platform accepts.
    public enum KeyType: String, Sendable, CaseIterable {
        case ed25519 = "ssh-ed25519"
        case ecdsaNISTP256 = "ecdsa-sha2-nistp256"
        case ecdsaNISTP384 = "ecdsa-sha2-nistp384"
        case ecdsaNISTP521 = "ecdsa-sha2-nistp521"
        case rsa = "ssh-rsa"
    }

    /// Longest accepted input line, in bytes.
    public static let maximumLength = 16 * 1024
    /// Smallest accepted RSA modulus.
    public static let minimumRSABits = 3072
    /// Largest accepted RSA modulus (OpenSSH's own limit).
    public static let maximumRSABits = 16384

    /// The key type, from the line and confirmed by the key data.
    public let type: KeyType
    /// The decoded key data (SSH wire format), what the SSH server compares at login.
    public let blob: Data
    /// The free-text comment after the key data (often `user@host`); empty when there is none.
    public let comment: String
    /// The key size in bits: 256 for Ed25519, the curve size for ECDSA, the modulus for RSA.
    public let bits: Int
    /// `SHA256:<base64>` of the blob, exactly as `ssh-keygen -lf` prints it.
    public let fingerprint: String

    /// `<type> <base64>` without the comment: the form to store and compare.
    public var canonical: String {
        "\(type.rawValue) \(blob.base64EncodedString())"
    }

    /// Parses and checks one public key line.
    ///
    /// Surrounding whitespace is ignored; the line must not contain other line breaks, options
    /// (`command="…" ssh-ed25519 …`) or trailing data inside the key.
    /// - Throws: ``SSHKeyError`` describing what is wrong, in words for the user.
    public init(authorizedKeysLine line: String) throws {
        guard line.utf8.count <= Self.maximumLength else {
            throw SSHKeyError(.tooLong, "The key is longer than \(Self.maximumLength / 1024) KiB; paste only the .pub file.")
        }
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw SSHKeyError(.empty, "No key was given. Paste the contents of your .pub file, e.g. ~/.ssh/id_ed25519.pub.")
        }
        guard !trimmed.contains(where: \.isNewline) else {
            throw SSHKeyError(.multipleLines, "Add one key at a time: the text contains several lines.")
        }

        let fields = trimmed.split(maxSplits: 2, omittingEmptySubsequences: true) { $0 == " " || $0 == "\t" }
        let typeName = String(fields[0])
        guard let type = KeyType(rawValue: typeName) else {
            throw Self.unknownTypeError(typeName, fields: fields)
        }
        guard fields.count >= 2 else {
            throw SSHKeyError(.malformed, "The key data after \"\(typeName)\" is missing. Copy the whole .pub file.")
        }
        guard let blob = Base64.decodePadded(String(fields[1])) else {
            throw SSHKeyError(.malformed, "The key data is not valid base64. Copy the whole .pub file again.")
        }
        let comment = fields.count == 3 ? String(fields[2]) : ""
        if comment.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw SSHKeyError(.malformed, "The comment after the key contains control characters.")
        }

        self.type = type
        self.blob = Data(blob)
        self.comment = comment
        self.bits = try Self.checkBlob(blob, declaredType: type)
        self.fingerprint = "SHA256:" + Base64.encodeUnpadded(OpenSSL.sha256(blob))
    }

    private static func unknownTypeError(_ typeName: String, fields: [Substring]) -> SSHKeyError {
        if fields.dropFirst().contains(where: { KeyType(rawValue: String($0)) != nil }) {
            return SSHKeyError(
                .optionsNotAllowed,
                "Options before the key type (like command=\"…\" or no-pty) are not allowed; "
                    + "paste just the key, starting with its type."
            )
        }
        if typeName.hasPrefix("AAAA") {
            return SSHKeyError(.malformed, "The key type is missing: the line must start with it, like ssh-ed25519.")
        }
        let what: String = switch typeName {
        case "ssh-dss": "DSA keys are no longer considered secure"
        case _ where typeName.hasPrefix("sk-"): "Security-key (FIDO) keys are not supported"
        case _ where typeName.contains("-cert-"): "Certificates are not supported"
        default: "\"\(typeName.prefix(64))\" is not a supported key type"
        }
        return SSHKeyError(.unsupportedType, "\(what). \(SSHKeyError.acceptedTypes)")
    }

    /// Checks the wire blob against the declared type; returns the key size in bits.
    private static func checkBlob(_ blob: [UInt8], declaredType: KeyType) throws -> Int {
        var reader = SSHWireReader(blob)
        let blobType = String(decoding: try reader.readString("the key type"), as: UTF8.self)
        guard blobType == declaredType.rawValue else {
            throw SSHKeyError(
                .typeMismatch,
                "The line says \(declaredType.rawValue) but the key data is of type \"\(blobType.prefix(64))\"."
            )
        }

        let bits: Int
        switch declaredType {
        case .ed25519:
            guard try reader.readString("the Ed25519 key").count == 32 else {
                throw SSHKeyError.invalidKeyData("an Ed25519 key must be 32 bytes")
            }
            bits = 256

        case .ecdsaNISTP256, .ecdsaNISTP384, .ecdsaNISTP521:
            let (curve, curveBits) = switch declaredType {
            case .ecdsaNISTP256: ("nistp256", 256)
            case .ecdsaNISTP384: ("nistp384", 384)
            default: ("nistp521", 521)
            }
            guard String(decoding: try reader.readString("the curve name"), as: UTF8.self) == curve else {
                throw SSHKeyError(.typeMismatch, "The key data is not on the curve \(curve) its type names.")
            }
            // An uncompressed point: 0x04, then X and Y of ceil(bits / 8) bytes each.
            let point = try reader.readString("the ECDSA point")
            guard point.count == 1 + 2 * ((curveBits + 7) / 8), point.first == 0x04 else {
                throw SSHKeyError.invalidKeyData("the ECDSA point has the wrong length for \(curve)")
            }
            bits = curveBits

        case .rsa:
            let exponent = try reader.readPositiveInteger("the RSA exponent")
            let modulus = try reader.readPositiveInteger("the RSA modulus")
            guard exponent.count <= modulus.count, exponent.last.map({ $0 & 1 == 1 }) == true, exponent != [1] else {
                throw SSHKeyError.invalidKeyData("the RSA exponent is impossible")
            }
            bits = modulus.bitLength
            guard bits >= minimumRSABits else {
                throw SSHKeyError(
                    .rsaKeyTooSmall,
                    "RSA keys must be at least \(minimumRSABits) bits; this one has \(bits). "
                        + "Create a new key with: ssh-keygen -t ed25519"
                )
            }
            guard bits <= maximumRSABits else {
                throw SSHKeyError.invalidKeyData("RSA keys may have at most \(maximumRSABits) bits; this one has \(bits)")
            }
        }

        guard reader.isAtEnd else {
            throw SSHKeyError.invalidKeyData("there are unexpected bytes after the key")
        }
        return bits
    }
}
