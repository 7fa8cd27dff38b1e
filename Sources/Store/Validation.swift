import Foundation

/// The data model's rules for user-supplied names and values, checked before anything reaches
/// the database (whose CHECK constraints repeat the important ones as a backstop).
public enum Validation {
    /// Usernames, project and deployment names: `[a-z][a-z0-9-]{0,38}`. They appear in git
    /// remotes (`user/project.git`), host names and paths, so the alphabet is deliberately small.
    public static func name(_ value: String, field: String) throws(StoreError) -> String {
        let ok = value.utf8.count <= 39
            && value.utf8.first.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) } == true
            && value.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        guard ok else {
            throw .invalid(field: field, message:
                "\(field) must start with a lowercase letter and contain only lowercase letters, digits and '-' (at most 39 characters)")
        }
        return value
    }

    /// A deliberately simple e-mail shape check: the verification mail is the real test.
    public static func email(_ value: String) throws(StoreError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        let ok = trimmed.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && trimmed.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0 != "<" && $0 != ">" && $0 != "," }
        guard ok else { throw .invalid(field: "email", message: "email must be an address like name@example.com") }
        return trimmed
    }

    /// Environment variable names as POSIX shells accept them; `PORT` and `PAASTECH_*` belong to the platform.
    public static func environment(_ env: [String: String]) throws(StoreError) {
        guard env.count <= 200 else { throw .invalid(field: "env", message: "at most 200 environment variables") }
        for (key, value) in env {
            let first = key.utf8.first
            let ok = !key.isEmpty && key.utf8.count <= 128
                && first.map { $0 == UInt8(ascii: "_") || isLetter($0) } == true
                && key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
            guard ok else {
                throw .invalid(field: "env", message: "environment variable name '\(key)' must match [A-Za-z_][A-Za-z0-9_]*")
            }
            guard key != "PORT", !key.hasPrefix("PAASTECH_") else {
                throw .invalid(field: "env", message: "environment variable '\(key)' is set by the platform")
            }
            guard value.utf8.count <= 32 * 1024, !value.utf8.contains(0) else {
                throw .invalid(field: "env", message: "the value of '\(key)' must be at most 32 KiB and contain no NUL byte")
            }
        }
    }

    /// Limits a deployment may ask for.
    public static func deploymentConfig(_ config: DeploymentConfig) throws(StoreError) {
        try environment(config.env)
        guard (0...20).contains(config.instances) else {
            throw .invalid(field: "instances", message: "instances must be between 0 and 20")
        }
        guard (32...65536).contains(config.memoryMB) else {
            throw .invalid(field: "memory_mb", message: "memory_mb must be between 32 and 65536")
        }
        guard config.cpu.isFinite, config.cpu >= 0.05, config.cpu <= 64 else {
            throw .invalid(field: "cpu", message: "cpu must be between 0.05 and 64 cores")
        }
    }

    /// A custom domain as a user types it, normalised: surrounding blanks and one trailing dot (the
    /// fully qualified form) are dropped and ASCII letters lower-cased, since DNS names are
    /// case-insensitive. The result must be what the `domains_hostname_format` constraint accepts: labels
    /// of letters, digits and inner hyphens (1-63 characters) separated by dots, ending in a top-level
    /// label of 2-63 letters, 253 characters in all. International names go in their ASCII form
    /// (`xn--...`); wildcards are refused (each name gets its own HTTP-01 certificate).
    public static func hostname(_ value: String) throws(StoreError) -> String {
        var text = value.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(".") { text.removeLast() }
        let invalid = { (message: String) in StoreError.invalid(field: "hostname", message: message) }
        guard !text.isEmpty else { throw invalid("hostname must not be empty") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw invalid("hostname must be ASCII without blanks: write an international name in its xn-- form")
        }
        guard !text.contains("*") else {
            throw invalid("hostname cannot be a wildcard: add each name (shop.example.com, www.example.com) separately")
        }
        guard !text.contains("/"), !text.contains(":"), !text.contains("@") else {
            throw invalid("hostname must be a bare name like shop.example.com, without scheme, port or path")
        }
        guard text.utf8.count <= 253 else { throw invalid("hostname must be at most 253 characters") }
        let name = String(decoding: text.utf8.map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let labelsOK = labels.dropLast().allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
                && label.utf8.first != UInt8(ascii: "-") && label.utf8.last != UInt8(ascii: "-")
        }
        let topLevelOK = labels.last.map { (2...63).contains($0.utf8.count) && $0.utf8.allSatisfy(isLowerLetter) } == true
        guard labels.count >= 2, labelsOK, topLevelOK else {
            throw invalid("hostname must be a DNS name like shop.example.com: labels of letters, digits and inner '-' "
                + "(at most 63 characters) separated by dots, ending in a top-level domain of letters")
        }
        return name
    }

    private static func isUpper(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
    private static func isLowerLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte)
    }
    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
