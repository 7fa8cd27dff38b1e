/// How a ``PostgresClient`` reaches its database.
///
/// Production connects over PostgreSQL's Unix socket with peer authentication (no password anywhere):
/// use ``unixSocket(directory:database:user:poolSize:applicationName:)``. Any libpq connection string
/// (`"host=db.example port=5432 dbname=paastech"` or a `postgresql://` URI) can be given instead.
public struct PostgresConfiguration: Sendable, Hashable {
    /// A libpq connection string (keyword/value pairs or a URI), passed to libpq unchanged.
    /// It may hold a password: never log it.
    public var conninfo: String
    /// How many connections the pool keeps open at most; callers beyond that wait in line (FIFO).
    public var poolSize: Int
    /// Shown in `pg_stat_activity.application_name`; a value in ``conninfo`` wins over this one.
    public var applicationName: String

    /// Creates a configuration from a libpq connection string.
    public init(conninfo: String, poolSize: Int = 10, applicationName: String = "paastech") {
        self.conninfo = conninfo
        self.poolSize = max(1, poolSize)
        self.applicationName = applicationName
    }

    /// Connects over the Unix socket in `directory` with peer authentication.
    ///
    /// - Parameters:
    ///   - directory: the server's `unix_socket_directories` entry (Debian: `/run/postgresql`).
    ///   - database: the database name.
    ///   - user: the database role; `nil` lets libpq use the OS user name, which is what peer auth expects.
    public static func unixSocket(
        directory: String = "/run/postgresql",
        database: String = "paastech",
        user: String? = nil,
        poolSize: Int = 10,
        applicationName: String = "paastech"
    ) -> PostgresConfiguration {
        var pairs = [("host", directory), ("dbname", database)]
        if let user { pairs.append(("user", user)) }
        let conninfo = pairs.map { "\($0.0)=\(quoteConninfoValue($0.1))" }.joined(separator: " ")
        return PostgresConfiguration(conninfo: conninfo, poolSize: poolSize, applicationName: applicationName)
    }

    /// Quotes one conninfo value the way libpq parses it: inside single quotes, with `\` and `'`
    /// escaped by a backslash.
    static func quoteConninfoValue(_ value: String) -> String {
        var quoted = "'"
        for character in value {
            if character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        quoted.append("'")
        return quoted
    }
}
