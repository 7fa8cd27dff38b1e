extension PlatformConfiguration {
    /// `[database]`: how the API reaches PostgreSQL.
    public struct Database: Sendable, Equatable {
        /// `conninfo`: a libpq connection string; empty means the local Unix socket in
        /// `/run/postgresql` with peer authentication, database `paastech`.
        public var connectionInfo = ""
        /// `pool_size`: connections the API keeps open (1–64).
        public var poolSize = 8
        /// `application_name`: shown in `pg_stat_activity`.
        public var applicationName = "paastech"

        /// Creates the default database settings.
        public init() {}
    }
}

extension PlatformConfiguration.Database: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("conninfo", \.connectionInfo, .string(like: "host=/run/postgresql dbname=paastech")),
        ConfigurationKey("pool_size", \.poolSize, .integer(in: 1...64)),
        ConfigurationKey("application_name", \.applicationName, .string.checking { name in
            // PostgreSQL silently truncates longer names and replaces non-ASCII bytes.
            let isPrintableASCII = name.utf8.allSatisfy { (0x20...0x7E).contains($0) }
            return (1...63).contains(name.utf8.count) && isPrintableASCII
                ? nil : "use 1 to 63 printable ASCII characters"
        }),
    ]
}
