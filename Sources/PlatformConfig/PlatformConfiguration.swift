import TOMLKit

/// The platform's configuration, read from `/etc/paastech/paastech.toml`.
///
/// Every key has a default, so `PlatformConfiguration()` is the default configuration and a
/// missing file is not an error. The commented file `etc/paastech.toml` documents every key.
/// Unknown tables and keys are errors, so a typo cannot silently leave a default in place.
public struct PlatformConfiguration: Sendable, Equatable {
    /// `[paths]`: where state and runtime files live.
    public var paths = Paths()
    /// `[database]`: how to reach PostgreSQL.
    public var database = Database()
    /// `[api]`: the API service.
    public var api = API()
    /// `[platform]`: public names and URLs.
    public var platform = Platform()
    /// `[mail]`: how e-mail leaves the host.
    public var mail = Mail()
    /// `[log]`: logging.
    public var log = Log()
    /// `[git]`: the SSH git server.
    public var git = Git()
    /// `[pomegranate]`: sandboxes, networking and supervision of builds and apps.
    public var pomegranate = Pomegranate()
    /// `[edge]`: the reverse proxy on 80/443.
    public var edge = Edge()
    /// `[web]`: the web console.
    public var web = Web()

    /// The default configuration.
    public init() {}

    /// The configuration's tables. A new section is a struct conforming to `ConfigurationSection`
    /// plus one line here.
    static let sections: [ConfigurationSectionBinding] = [
        ConfigurationSectionBinding("paths", \.paths),
        ConfigurationSectionBinding("database", \.database),
        ConfigurationSectionBinding("api", \.api),
        ConfigurationSectionBinding("platform", \.platform),
        ConfigurationSectionBinding("mail", \.mail),
        ConfigurationSectionBinding("log", \.log),
        ConfigurationSectionBinding("git", \.git),
        ConfigurationSectionBinding("pomegranate", \.pomegranate),
        ConfigurationSectionBinding("edge", \.edge),
        ConfigurationSectionBinding("web", \.web),
    ]

    /// The path services read when no other is given.
    public static let defaultPath = "/etc/paastech/paastech.toml"

    /// Reads and validates the configuration file at `path`.
    ///
    /// A missing file yields the defaults; an unreadable or invalid file throws a
    /// ``ConfigurationError`` that names the file, line and key to fix.
    public static func load(path: String = defaultPath) throws -> PlatformConfiguration {
        guard let text = try ConfigurationFileReader.read(path: path) else {
            return PlatformConfiguration()
        }
        return try parse(text, file: path)
    }

    /// Parses and validates configuration text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws -> PlatformConfiguration {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                file: file,
                line: error.source.begin.line,
                column: error.source.begin.column,
                message: error.description
            )
        }

        let source = ConfigurationSourceMap(file: file, locator: TOMLKeyLocator(text))
        var configuration = PlatformConfiguration()
        var errors: [ConfigurationError] = []
        for (name, value) in document {
            guard let section = sections.first(where: { $0.name == name }) else {
                let known = sections.map(\.name)
                let what = value.type == .table ? "unknown table [\(name)]" : "unknown top-level key"
                errors.append(source.error(
                    at: [name],
                    what + ConfigurationSyntax.suggestion(for: name, among: known)
                        + "; known tables: \(known.joined(separator: ", "))"
                ))
                continue
            }
            guard let table = value.table else {
                errors.append(source.error(
                    at: [name],
                    "expected a table ([\(name)] followed by its keys), got \(value.type)"
                ))
                continue
            }
            errors += section.decode(table, into: &configuration, source: source)
        }
        // The document is a sorted map, not the file's order: report the problem nearest the top.
        if let first = errors.min(by: { ($0.line ?? .max) < ($1.line ?? .max) }) {
            throw first
        }
        return configuration
    }
}
