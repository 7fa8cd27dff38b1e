#if canImport(Glibc)
import Glibc
#endif

/// Syntax checks shared by configuration values. Each returns a message for the user, or `nil`
/// when the value is acceptable.
enum ConfigurationSyntax {
    /// `/var/lib/paastech/` → `/var/lib/paastech` (but `/` stays `/`), so derived paths join cleanly.
    @Sendable static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") {
            trimmed = trimmed.dropLast()
        }
        return String(trimmed)
    }

    @Sendable static func absolutePathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else {
            return "\"\(path)\" is not an absolute path: it must start with /"
        }
        if path.contains("\0") {
            return "the path contains a NUL character"
        }
        if path.split(separator: "/").contains("..") {
            return "\"\(path)\" must not contain .. components"
        }
        return nil
    }

    /// RFC 1123 host names in lower case: labels of 1–63 letters, digits and inner hyphens.
    @Sendable static func domainProblem(_ domain: String) -> String? {
        guard !domain.isEmpty else { return "the domain name is empty" }
        guard domain.utf8.count <= 253 else { return "the domain name is longer than 253 characters" }
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            let isValid = !label.isEmpty && label.utf8.count <= 63
                && label.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                }
                && !label.hasPrefix("-") && !label.hasSuffix("-")
            if !isValid {
                return "\"\(domain)\" is not a valid domain name: use lower-case letters, digits, "
                    + "hyphens and dots, like \"paastech.example.com\""
            }
        }
        return nil
    }

    @Sendable static func isIPAddress(_ text: String) -> Bool {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, text, &ipv4) == 1 || inet_pton(AF_INET6, text, &ipv6) == 1
    }

    @Sendable static func ipAddressProblem(_ text: String) -> String? {
        isIPAddress(text) ? nil : "\"\(text)\" is not an IPv4 or IPv6 address"
    }

    /// `host:port` where host is an IPv4 address, a host name, or an IPv6 address in brackets.
    @Sendable static func listenAddressProblem(_ address: String) -> String? {
        let usage = "use host:port, like \"127.0.0.1:8081\" or \"[::1]:8081\""
        guard let colon = address.lastIndex(of: ":") else {
            return "\"\(address)\" has no port: \(usage)"
        }
        let host = address[..<colon]
        let portText = address[address.index(after: colon)...]
        guard let port = Int(portText), (1...65535).contains(port) else {
            return "\"\(portText)\" is not a port number from 1 to 65535: \(usage)"
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            var ipv6 = in6_addr()
            let inner = String(host.dropFirst().dropLast())
            return inet_pton(AF_INET6, inner, &ipv6) == 1 ? nil : "\"\(inner)\" is not an IPv6 address: \(usage)"
        }
        if host.contains(":") {
            return "IPv6 addresses must be written in brackets: \(usage)"
        }
        if host.isEmpty {
            return "\"\(address)\" has no host: \(usage) (0.0.0.0 listens on every IPv4 address)"
        }
        if isIPAddress(String(host)) || domainProblem(String(host)) == nil {
            return nil
        }
        return "\"\(host)\" is neither an IP address nor a host name: \(usage)"
    }

    @Sendable static func baseURLProblem(_ url: String) -> String? {
        let scheme: String
        if url.hasPrefix("http://") {
            scheme = "http://"
        } else if url.hasPrefix("https://") {
            scheme = "https://"
        } else {
            return "\"\(url)\" must start with http:// or https://"
        }
        if url.contains("?") || url.contains("#") {
            return "\"\(url)\" must not have a query (?) or fragment (#)"
        }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" }
        if authority.isEmpty || authority.contains("@") || authority.contains(where: \.isWhitespace) {
            return "\"\(url)\" has no valid host, like \"https://console.example.com\""
        }
        return nil
    }

    /// A user name as systemd and shadow-utils accept it: letters, digits, `.`, `_`, `-`, not
    /// starting with a digit, dot or hyphen; an optional trailing `$` (Samba machine accounts).
    @Sendable static func userNameProblem(_ name: String) -> String? {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: "$") { bytes.removeLast() }
        let isLetter = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        let isValid = (1...256).contains(bytes.count)
            && (isLetter(bytes[0]) || bytes[0] == UInt8(ascii: "_"))
            && bytes.allSatisfy { byte in
                isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
        return isValid ? nil : "\"\(name)\" is not a valid user name (letters, digits, ., _ and -, starting with a letter or _)"
    }

    /// `Name <address@domain>` or `address@domain`, on one line.
    @Sendable static func mailboxProblem(_ mailbox: String) -> String? {
        if mailbox.contains(where: { $0.isNewline || $0 == "\0" }) {
            return "the address must be on one line"
        }
        let address: Substring
        if let open = mailbox.lastIndex(of: "<") {
            guard mailbox.hasSuffix(">") else {
                return "\"\(mailbox)\" must end with > after the address, like \"PaaSTech <noreply@example.com>\""
            }
            address = mailbox[mailbox.index(after: open)..<mailbox.index(before: mailbox.endIndex)]
        } else {
            address = Substring(mailbox)
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !address.contains(where: \.isWhitespace) else {
            return "\"\(mailbox)\" is not an e-mail address like \"PaaSTech <noreply@example.com>\""
        }
        return nil
    }

    /// Levenshtein distance, for "did you mean" hints on misspelt keys.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, characterOfA) in a.enumerated() {
            var current = [i + 1]
            for (j, characterOfB) in b.enumerated() {
                let substitution = previous[j] + (characterOfA == characterOfB ? 0 : 1)
                current.append(min(previous[j + 1] + 1, current[j] + 1, substitution))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// " (did you mean `listen`?)" when one known name is close to `name`, else "".
    static func suggestion(for name: String, among known: [String]) -> String {
        let closest = known.map { ($0, editDistance(name, $0)) }.min { $0.1 < $1.1 }
        guard let closest, closest.1 <= 2 else { return "" }
        return " (did you mean \"\(closest.0)\"?)"
    }
}
