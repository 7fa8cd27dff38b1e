/// Everything that can go wrong talking to PostgreSQL: a server-reported error (with its SQLSTATE and
/// diagnostic fields), a failed or lost connection, or a value that cannot be decoded.
///
/// The description names the statement by its first line only, and never contains parameter values or
/// the server's DETAIL text: both can carry secrets (a DETAIL like `Failing row contains (...)` echoes
/// whole rows). Read ``detail`` explicitly where it is safe to show.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The broad category of a ``PostgresError``.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed = "could not connect"
            case connectionLost = "connection lost"
            case server = "server error"
            case decoding = "cannot decode a column"
            case clientClosed = "client closed"
            case invalidArgument = "invalid argument"
            case unsupported = "unsupported"
            case transactionRolledBack = "transaction rolled back"
        }
        private let base: Base

        /// Connecting (or reconnecting) failed; see ``PostgresError/message`` for libpq's reason.
        public static let connectionFailed = Kind(base: .connectionFailed)
        /// The connection broke while in use (server restarted, backend terminated, network error).
        public static let connectionLost = Kind(base: .connectionLost)
        /// The server rejected the statement; ``PostgresError/sqlState`` says why.
        public static let server = Kind(base: .server)
        /// A column could not be decoded as the requested Swift type, or was NULL for a non-optional.
        public static let decoding = Kind(base: .decoding)
        /// The client (or the transaction handle) was used after it was closed.
        public static let clientClosed = Kind(base: .clientClosed)
        /// A parameter or name that cannot be sent (a NUL byte in text, a bad channel name).
        public static let invalidArgument = Kind(base: .invalidArgument)
        /// The statement needs a protocol feature this client does not offer (COPY).
        public static let unsupported = Kind(base: .unsupported)
        /// COMMIT found the transaction already failed, so PostgreSQL rolled it back instead.
        public static let transactionRolledBack = Kind(base: .transactionRolledBack)

        public var description: String { base.rawValue }
    }

    /// The category of this error.
    public var kind: Kind
    /// The primary human-readable message (from the server or from libpq).
    public var message: String
    /// The five-character SQLSTATE code when the server reported one (`23505`, `57P01`, ...).
    public var sqlState: String?
    /// `ERROR`, `FATAL` or `PANIC`, when the server reported it.
    public var severity: String?
    /// The server's DETAIL field. May contain row values: kept out of ``description`` on purpose.
    public var detail: String?
    /// The server's HINT field.
    public var hint: String?
    /// The violated constraint's name, for integrity errors.
    public var constraint: String?
    /// The schema of the table involved, when reported.
    public var schema: String?
    /// The table involved, when reported.
    public var table: String?
    /// The column involved: from the server, or the column being decoded for ``Kind/decoding``.
    public var column: String?
    /// The first line of the statement that failed (never its parameters).
    public var statement: String?

    /// Creates an error; the library's own failures use the same initialiser.
    public init(
        kind: Kind, message: String, sqlState: String? = nil, severity: String? = nil, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil, schema: String? = nil, table: String? = nil,
        column: String? = nil, statement: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.statement = statement.map(Self.firstLine(of:))
    }

    /// SQLSTATE 23505: a unique constraint or unique index was violated.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// SQLSTATE 23503: a foreign key was violated.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// SQLSTATE 23514: a CHECK constraint was violated.
    public var isCheckViolation: Bool { sqlState == "23514" }
    /// SQLSTATE 57014: the statement was cancelled (task cancellation or `statement_timeout`).
    public var isQueryCanceled: Bool { sqlState == "57014" }

    public var description: String {
        var text = "PostgreSQL \(kind)"
        if let sqlState { text += " \(sqlState)" }
        if let severity { text += " (\(severity))" }
        if let statement { text += " in `\(statement)`" }
        text += ": \(message)"
        if let constraint { text += "; constraint \(constraint)" }
        if let table { text += "; table \(schema.map { "\($0)." } ?? "")\(table)" }
        if let column { text += "; column \(column)" }
        if let hint { text += "; hint: \(hint)" }
        return text
    }

    static func firstLine(of sql: String) -> String {
        let trimmed = sql.drop { $0.isWhitespace }
        let line = trimmed.prefix { $0 != "\n" && $0 != "\r" }
        let limit = 200
        return line.count > limit ? String(line.prefix(limit)) + "…" : String(line)
    }
}
