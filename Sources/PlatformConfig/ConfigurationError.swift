/// A configuration file that could not be read, parsed or validated.
///
/// The description points at the exact place to fix, in the `file:line:` form editors and
/// `grep -n` understand, e.g.
/// `/etc/paastech/paastech.toml:12: api.listen: expected a string like "127.0.0.1:8081", got integer`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The configuration file's path.
    public var file: String
    /// The 1-based line of the offending key or syntax error; `nil` when the problem is the whole file.
    public var line: Int?
    /// The 1-based column of a syntax error, as reported by the TOML parser; `nil` otherwise.
    public var column: Int?
    /// The dotted key (`api.listen`) or table (`api`) at fault; `nil` for syntax and I/O errors.
    public var key: String?
    /// What is wrong, and where possible what was expected instead.
    public var message: String

    /// Creates an error; usually thrown by ``PlatformConfiguration/parse(_:file:)``.
    public init(file: String, line: Int? = nil, column: Int? = nil, key: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        if let key {
            return "\(location): \(key): \(message)"
        }
        return "\(location): \(message)"
    }
}
