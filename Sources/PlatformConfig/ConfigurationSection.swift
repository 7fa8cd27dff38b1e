import TOMLKit

/// One `[table]` of the configuration file, declared as a list of keys.
///
/// A section's keys are declared once, in ``keys``; decoding, unknown-key detection and the test
/// that the commented default file mentions every key all read that one table. Defaults are the
/// property initialisers of the conforming struct, so `Section()` is the default section.
protocol ConfigurationSection: Sendable, Equatable {
    init()
    /// Every key this table accepts, in the order the default file documents them.
    static var keys: [ConfigurationKey<Self>] { get }
}

/// One `key = value` line of a section: its TOML name, the property it sets, and how to read it.
struct ConfigurationKey<Section>: Sendable {
    let name: String
    private let assign: @Sendable (inout Section, any TOMLValueConvertible) throws(ConfigurationValueProblem) -> Void

    init<Value>(
        _ name: String,
        _ property: WritableKeyPath<Section, Value> & Sendable,
        _ value: ConfigurationValue<Value>
    ) {
        self.name = name
        self.assign = { section, tomlValue throws(ConfigurationValueProblem) in
            section[keyPath: property] = try value.read(tomlValue)
        }
    }

    func assign(_ tomlValue: any TOMLValueConvertible, to section: inout Section) throws(ConfigurationValueProblem) {
        try assign(&section, tomlValue)
    }
}

/// Ties a section type to its table name and its place in ``PlatformConfiguration``.
struct ConfigurationSectionBinding: Sendable {
    /// The table name, e.g. `api`.
    let name: String
    /// The section's key names, for unknown-key messages and the default-file test.
    let keyNames: [String]
    private let decode: @Sendable (inout PlatformConfiguration, TOMLTable, ConfigurationSourceMap) -> [ConfigurationError]

    init<Section: ConfigurationSection>(
        _ name: String,
        _ property: WritableKeyPath<PlatformConfiguration, Section> & Sendable
    ) {
        self.name = name
        self.keyNames = Section.keys.map(\.name)
        self.decode = { configuration, table, source in
            var section = configuration[keyPath: property]
            var errors: [ConfigurationError] = []
            for (keyName, value) in table {
                let path = [name, keyName]
                guard let key = Section.keys.first(where: { $0.name == keyName }) else {
                    let known = Section.keys.map(\.name)
                    errors.append(source.error(
                        at: path,
                        "unknown key in [\(name)]"
                            + ConfigurationSyntax.suggestion(for: keyName, among: known)
                            + "; known keys: \(known.joined(separator: ", "))"
                    ))
                    continue
                }
                do throws(ConfigurationValueProblem) {
                    try key.assign(value, to: &section)
                } catch {
                    errors.append(source.error(at: path, error.message))
                }
            }
            configuration[keyPath: property] = section
            return errors
        }
    }

    /// Applies every key of `table` to `configuration`; returns one error per bad key.
    func decode(
        _ table: TOMLTable,
        into configuration: inout PlatformConfiguration,
        source: ConfigurationSourceMap
    ) -> [ConfigurationError] {
        decode(&configuration, table, source)
    }
}

/// Turns a key path into a `file:line: key:` error.
struct ConfigurationSourceMap: Sendable {
    let file: String
    let locator: TOMLKeyLocator

    func error(at path: [String], _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: locator.line(of: path), key: path.joined(separator: "."), message: message)
    }
}
