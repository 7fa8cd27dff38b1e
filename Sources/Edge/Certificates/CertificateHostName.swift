/// A host name a certificate may be issued for and stored under: a lower-case DNS name
/// (letters, digits and inner hyphens in labels of 1 to 63 characters, at least two labels, 253
/// characters at most). Anything else, including IP literals, wildcards, upper case, `..`, `/` and a
/// trailing dot, is refused, so a validated name is always a safe file name.
public struct CertificateHostName: Sendable, Hashable, CustomStringConvertible {
    /// The validated name.
    public let value: String

    /// - Throws: ``EdgeCertificateError`` `.invalidHostName`.
    public init(_ name: String) throws(EdgeCertificateError) {
        guard Self.isValid(name) else {
            throw EdgeCertificateError(.invalidHostName, operation: "use \(name.debugDescription) as a certificate name",
                                   reason: "only lower-case DNS names (a-z, 0-9, inner '-', dot-separated) are accepted")
        }
        value = name
    }

    /// Normalises what a TLS client sent as SNI (case, a trailing dot) and validates it; nil when invalid.
    public init?(serverName: String) {
        var name = serverName.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard Self.isValid(name) else { return nil }
        value = name
    }

    public var description: String { value }

    /// Top-level names reserved for private use (RFC 6761, 6762, 8375, 9476 and ICANN's `.internal`): no
    /// public CA issues for them, so the edge never asks one, and such hosts keep the fallback certificate.
    static let privateSuffixes = ["localhost", "local", "internal", "invalid", "home.arpa", "alt"]

    /// Whether a public ACME server could issue for this name (it is not under a private-use suffix).
    public var isPubliclyIssuable: Bool {
        !Self.privateSuffixes.contains { value == $0 || value.hasSuffix("." + $0) }
    }

    /// Whether `name` is an acceptable lower-case DNS name.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                  label.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        // The last label of a DNS name is never all digits: that would be an IPv4 literal.
        if let last = labels.last, last.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return false
        }
        return true
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
