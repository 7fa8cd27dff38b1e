import Foundation

/// Checks of request fields; every failure names the field and says what is expected.
enum RequestValidation {
    static func uuid(_ field: String, _ value: String) throws(PomegranateError) -> String {
        guard UUID(uuidString: value) != nil, value.count == 36 else {
            throw .invalidArgument(field: field, problem: "expected a UUID like 3f2a9c1e-0000-4000-8000-000000000000, got \(quoted(value))")
        }
        return value.lowercased()
    }

    /// Release and build ids name cgroups and directories: `[a-z0-9-]{1,40}`, not starting with `-`.
    static func name(_ field: String, _ value: String) throws(PomegranateError) -> String {
        let allowed = value.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        guard (1...40).contains(value.utf8.count), allowed, !value.hasPrefix("-") else {
            throw .invalidArgument(field: field, problem: "expected 1 to 40 of a-z, 0-9 and - (not first), got \(quoted(value))")
        }
        return value
    }

    /// A display name (project or deployment): printable, at most 100 characters.
    static func label(_ field: String, _ value: String) throws(PomegranateError) -> String {
        guard (1...100).contains(value.count), !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument(field: field, problem: "expected 1 to 100 printable characters")
        }
        return value
    }

    /// A host directory that exists: absolute, normalised, no `..`.
    static func directory(_ field: String, _ value: String) throws(PomegranateError) -> String {
        let components = value.split(separator: "/", omittingEmptySubsequences: false)
        guard value.hasPrefix("/"), !components.contains(".."), !components.contains("."), !value.contains("\0") else {
            throw .invalidArgument(field: field, problem: "expected an absolute path without . or .. components, got \(quoted(value))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: value, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidArgument(field: field, problem: "\(value) is not a directory on the host")
        }
        return value
    }

    static func command(_ field: String, _ value: [String]) throws(PomegranateError) -> [String] {
        guard let first = value.first, !first.isEmpty else { throw .invalidArgument(field: field, problem: "the command is empty") }
        guard !value.contains(where: { $0.contains("\0") }) else { throw .invalidArgument(field: field, problem: "an argument contains NUL") }
        return value
    }

    static func environment(_ field: String, _ value: [String: String]) throws(PomegranateError) -> [String: String] {
        for (name, content) in value {
            let valid = name.utf8.first.map { !(0x30...0x39).contains($0) } == true
                && name.utf8.allSatisfy { (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
            guard valid, name.utf8.count <= 200 else {
                throw .invalidArgument(field: field, problem: "\(quoted(name)) is not a variable name (letters, digits, _; not starting with a digit)")
            }
            guard !content.contains("\0"), content.utf8.count <= 32 * 1024 else {
                throw .invalidArgument(field: field, problem: "the value of \(name) contains NUL or is longer than 32 KiB")
            }
        }
        return value
    }

    /// A host name the edge routes: lower-case DNS labels.
    static func hosts(_ field: String, _ value: [String]) throws(PomegranateError) -> [String] {
        for host in value {
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = (1...253).contains(host.utf8.count) && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
            }
            guard valid else { throw .invalidArgument(field: field, problem: "\(quoted(host)) is not a lower-case host name") }
        }
        return value
    }

    static func range(_ field: String, _ value: UInt32, _ allowed: ClosedRange<Int>) throws(PomegranateError) -> Int {
        guard allowed.contains(Int(value)) else {
            throw .invalidArgument(field: field, problem: "expected \(allowed.lowerBound) to \(allowed.upperBound), got \(value)")
        }
        return Int(value)
    }

    private static func quoted(_ value: String) -> String {
        "\"" + String(value.prefix(80)).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
