import TOMLKit

/// How one configuration key's TOML value becomes a Swift value: the expected TOML shape
/// (used in "expected ..., got ..." messages), a decoder, and a validator.
///
/// Instances are reusable building blocks (`.absolutePath`, `.integer(in:)`, ...) so each
/// section's key table reads as a list of declarations.
struct ConfigurationValue<Value>: Sendable {
    /// Completes the sentence "expected ...", e.g. `a string like "127.0.0.1:8081"`.
    let expectation: String
    /// Returns `nil` when the TOML value has the wrong type, throws when it has the right type but an
    /// impossible value (such as an unknown enumeration case).
    let decode: @Sendable (any TOMLValueConvertible) throws(ConfigurationValueProblem) -> Value?
    /// Returns a description of what is wrong with a well-typed value, or `nil` when it is acceptable.
    let problem: @Sendable (Value) -> String?

    init(
        expecting expectation: String,
        decode: @escaping @Sendable (any TOMLValueConvertible) throws(ConfigurationValueProblem) -> Value?,
        problem: @escaping @Sendable (Value) -> String? = { _ in nil }
    ) {
        self.expectation = expectation
        self.decode = decode
        self.problem = problem
    }

    /// The same decoder with an extra check run after this one's.
    func checking(_ extraProblem: @escaping @Sendable (Value) -> String?) -> ConfigurationValue<Value> {
        let problem = self.problem
        return ConfigurationValue(expecting: expectation, decode: decode) { value in
            problem(value) ?? extraProblem(value)
        }
    }

    /// Decodes and validates `value`, describing any problem for the user.
    func read(_ value: any TOMLValueConvertible) throws(ConfigurationValueProblem) -> Value {
        guard let decoded = try decode(value) else {
            throw ConfigurationValueProblem("expected \(expectation), got \(ConfigurationValueProblem.describe(value))")
        }
        if let problem = problem(decoded) {
            throw ConfigurationValueProblem(problem)
        }
        return decoded
    }
}

/// A value that is present but wrong; the caller adds the file, line and key.
struct ConfigurationValueProblem: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    /// "integer", "an array containing integer", ... for "got ..." messages.
    static func describe(_ value: any TOMLValueConvertible) -> String {
        if let array = value.array, let odd = array.first(where: { $0.type != .string }) {
            return "an array containing \(odd.type)"
        }
        return value.type.description
    }
}

// MARK: - Scalars

extension ConfigurationValue where Value == String {
    /// Any string.
    static var string: Self {
        ConfigurationValue(expecting: "a string", decode: { $0.string })
    }

    /// A string described by an example, e.g. `a string like "127.0.0.1:8081"`.
    static func string(like example: String) -> Self {
        ConfigurationValue(expecting: "a string like \"\(example)\"", decode: { $0.string })
    }

    /// An absolute, normalised directory path (a trailing slash is removed).
    static var absolutePath: Self {
        ConfigurationValue(
            expecting: "an absolute path string like \"/var/lib/paastech\"",
            decode: { $0.string.map(ConfigurationSyntax.trimmingTrailingSlashes) },
            problem: ConfigurationSyntax.absolutePathProblem
        )
    }

    /// Either the empty string (feature off) or an absolute path.
    static var optionalAbsolutePath: Self {
        absolutePath.replacingProblem { path in
            path.isEmpty ? nil : ConfigurationSyntax.absolutePathProblem(path)
        }
    }

    /// A DNS name such as `paastech.example.com`.
    static func domain(like example: String) -> Self {
        ConfigurationValue(
            expecting: "a domain name string like \"\(example)\"",
            decode: { $0.string },
            problem: ConfigurationSyntax.domainProblem
        )
    }

    /// A `host:port` listening address; IPv6 hosts in brackets (`[::1]:8081`).
    static var listenAddress: Self {
        ConfigurationValue(
            expecting: "a string like \"127.0.0.1:8081\"",
            decode: { $0.string },
            problem: ConfigurationSyntax.listenAddressProblem
        )
    }

    /// An `http://` or `https://` base URL without a query or fragment; a trailing slash is removed.
    static func baseURL(like example: String) -> Self {
        ConfigurationValue(
            expecting: "a URL string like \"\(example)\"",
            decode: { $0.string.map(ConfigurationSyntax.trimmingTrailingSlashes) },
            problem: ConfigurationSyntax.baseURLProblem
        )
    }

    private func replacingProblem(_ problem: @escaping @Sendable (String) -> String?) -> Self {
        ConfigurationValue(expecting: expectation, decode: decode, problem: problem)
    }
}

extension ConfigurationValue where Value == Int {
    /// An integer within `range`.
    static func integer(in range: ClosedRange<Int>) -> Self {
        ConfigurationValue(
            expecting: "an integer from \(range.lowerBound) to \(range.upperBound)",
            decode: { $0.int },
            problem: { value in
                range.contains(value)
                    ? nil : "\(value) is out of range: use an integer from \(range.lowerBound) to \(range.upperBound)"
            }
        )
    }
}

extension ConfigurationValue where Value == Bool {
    /// `true` or `false`.
    static var boolean: Self {
        ConfigurationValue(expecting: "true or false", decode: { $0.bool })
    }
}

extension ConfigurationValue where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of the enumeration's raw values, e.g. a log level.
    static var oneOf: Self {
        let names = Value.allCases.map(\.rawValue).joined(separator: "|")
        return ConfigurationValue(
            expecting: "a string, one of \(names)",
            decode: { value throws(ConfigurationValueProblem) in
                guard let string = value.string else { return nil }
                guard let decoded = Value(rawValue: string) else {
                    throw ConfigurationValueProblem("unknown value \"\(string)\": use one of \(names)")
                }
                return decoded
            }
        )
    }
}

// MARK: - Arrays

extension ConfigurationValue where Value == [String] {
    /// An array of strings, each checked by `elementProblem`.
    static func strings(
        like example: String,
        allowEmpty: Bool = true,
        elementProblem: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> Self {
        ConfigurationValue(
            expecting: "an array of strings like \(example)",
            decode: { value in
                guard let array = value.array else { return nil }
                var strings: [String] = []
                for element in array {
                    guard let string = element.string else { return nil }
                    strings.append(string)
                }
                return strings
            },
            problem: { strings in
                if !allowEmpty && strings.isEmpty { return "the array must not be empty" }
                for string in strings {
                    if let problem = elementProblem(string) { return problem }
                }
                return nil
            }
        )
    }
}
