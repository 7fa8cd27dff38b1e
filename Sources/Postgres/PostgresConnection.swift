import CPostgres
import Foundation
import Glibc
import Logging

/// One libpq connection. Not thread-safe: it lives on exactly one worker thread
/// (a ``PostgresConnectionSlot`` or a ``PostgresListener``), which makes every blocking call.
final class PostgresConnection {
    /// The `PGconn *`.
    let handle: OpaquePointer
    private let logger: Logger

    /// What a statement produced.
    struct Result {
        var rows: [PostgresRow]
        /// From `PQcmdTuples`: rows inserted, updated, deleted, selected...; 0 when not applicable.
        var affectedRows: Int
        /// The command tag, e.g. `INSERT 0 1`, `COMMIT`, `ROLLBACK`.
        var commandTag: String
    }

    /// Session settings the decoders rely on, applied on every new connection.
    private static let sessionSetup =
        "SET DateStyle = 'ISO'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex'"

    /// Connects (blocking) and applies the session settings.
    static func connect(_ configuration: PostgresConfiguration, logger: Logger) throws -> PostgresConnection {
        // Entries before the expanded `dbname` are defaults the connection string may override; entries
        // after it win. Without a timeout, an unreachable TCP host would hold the slot for minutes.
        let keywords = ["connect_timeout", "application_name", "dbname", "client_encoding"]
        let values = ["10", configuration.applicationName, configuration.conninfo, "UTF8"]
        let handle = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        let connection = PostgresConnection(handle: handle, logger: logger)
        try connection.runSimple(sessionSetup)
        return connection
    }

    private init(handle: OpaquePointer, logger: Logger) {
        self.handle = handle
        self.logger = logger
        // Route NOTICE/WARNING messages to the logger instead of libpq's default: printing to stderr.
        // libpq also hands over, as a notice, an error that arrives while the connection is idle: the
        // server saying why it is about to close the session (FATAL). Such a connection is finished.
        PQsetNoticeReceiver(handle, { context, result in
            guard let context, let result else { return }
            let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
            let severity = PostgresConnection.field(result, "V") ?? ""
            let message = PostgresConnection.field(result, "M") ?? ""
            if severity == "FATAL" || severity == "PANIC" {
                connection.isPoisoned = true
                connection.logger.warning("PostgreSQL is closing the connection", metadata: ["postgres.message": "\(message)"])
            } else {
                connection.logger.debug("PostgreSQL notice", metadata: [
                    "postgres.severity": "\(severity)", "postgres.message": "\(message)",
                ])
            }
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        PQfinish(handle)
    }

    /// The server process serving this connection.
    var backendPID: Int32 { PQbackendPID(handle) }

    /// libpq's view of the transaction: idle, in a transaction block, or in a failed one.
    var transactionStatus: PGTransactionStatusType { PQtransactionStatus(handle) }

    /// Set when the connection is in a state this client cannot leave (COPY), or the server announced
    /// it is closing it.
    private var isPoisoned = false

    /// Whether the connection is known to be unusable.
    var isBroken: Bool { isPoisoned || PQstatus(handle) != CONNECTION_OK }

    /// A cheap liveness check for an idle connection: a server that ended the session (restart,
    /// `pg_terminate_backend`) has sent an error and closed the socket, so the socket reads as ready.
    /// Reading drains the error first; the end of the stream shows on a following read.
    func isAlive() -> Bool {
        var descriptors = [pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)]
        for _ in 0..<4 {
            guard !isBroken, descriptors[0].fd >= 0,
                  let ready = try? PostgresSystemCall.poll(&descriptors, timeoutMilliseconds: 0, "checking a connection")
            else { return false }
            if ready == 0 { return true }
            guard PQconsumeInput(handle) == 1 else { return false }
            discardNotifications()  // also parses what arrived, so a FATAL notice marks us broken
        }
        return !isBroken
    }

    /// Runs one statement with text-format parameters (blocking).
    func execute(_ sql: String, _ parameters: [PostgresValue]) throws -> Result {
        let texts = parameters.map(\.textRepresentation)
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(
                kind: .invalidArgument,
                message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot store; send it as bytea",
                statement: sql)
        }
        let types = parameters.map(\.typeOID)
        let cStrings = texts.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
            types.withUnsafeBufferPointer { typePointers in
                PQexecParams(
                    handle, sql, Int32(parameters.count), typePointers.baseAddress, valuePointers.baseAddress,
                    nil, nil, 0)
            }
        }
        return try consume(result, sql: sql)
    }

    /// Runs trusted, parameterless SQL through the simple-query protocol (session setup, ROLLBACK).
    @discardableResult
    func runSimple(_ sql: String) throws -> Result {
        try consume(PQexec(handle, sql), sql: sql)
    }

    /// Frees any notifications received on a connection that is not listening for them.
    func discardNotifications() {
        while let notification = PQnotifies(handle) { PQfreemem(notification) }
    }

    /// A handle that can cancel this connection's running statement from another thread.
    func makeCancelHandle() -> PostgresCancelHandle? {
        PQgetCancel(handle).map(PostgresCancelHandle.init)
    }

    private func consume(_ result: OpaquePointer?, sql: String) throws -> Result {
        guard let result else {
            throw PostgresError(
                kind: isBroken ? .connectionLost : .server, message: Self.trimmed(PQerrorMessage(handle)),
                statement: sql)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Result(
                rows: Self.rows(of: result), affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0,
                commandTag: String(cString: PQcmdStatus(result)))
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // The connection is now stuck in COPY mode: mark it broken so its slot reconnects.
            isPoisoned = true
            throw PostgresError(kind: .unsupported, message: "COPY is not supported by this client", statement: sql)
        default:
            throw error(from: result, sql: sql)
        }
    }

    private func error(from result: OpaquePointer, sql: String) -> PostgresError {
        let message = Self.field(result, "M") ?? Self.trimmed(PQresultErrorMessage(result))
        return PostgresError(
            kind: isBroken ? .connectionLost : .server,
            message: message.isEmpty ? Self.trimmed(PQerrorMessage(handle)) : message,
            sqlState: Self.field(result, "C"), severity: Self.field(result, "V") ?? Self.field(result, "S"),
            detail: Self.field(result, "D"), hint: Self.field(result, "H"), constraint: Self.field(result, "n"),
            schema: Self.field(result, "s"), table: Self.field(result, "t"), column: Self.field(result, "c"),
            statement: sql)
    }

    private static func rows(of result: OpaquePointer) -> [PostgresRow] {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        guard columnCount > 0 else { return [] }
        let columns = PostgresColumns(
            names: (0..<columnCount).map { String(cString: PQfname(result, $0)) },
            typeOIDs: (0..<columnCount).map { PQftype(result, $0) })
        return (0..<rowCount).map { row in
            let values: [String?] = (0..<columnCount).map { column in
                guard PQgetisnull(result, row, column) == 0 else { return nil }
                let bytes = UnsafeRawBufferPointer(
                    start: PQgetvalue(result, row, column), count: Int(PQgetlength(result, row, column)))
                return String(decoding: bytes, as: UTF8.self)
            }
            return PostgresRow(columns: columns, values: values)
        }
    }

    /// One `PQresultErrorField` by its single-letter code (`PG_DIAG_*`).
    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Wraps `PGcancel`, which libpq documents as safe to use from a thread other than the connection's.
final class PostgresCancelHandle: @unchecked Sendable {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQfreeCancel(handle) }

    /// Asks the server to cancel whatever the connection is running (blocking: it opens a new socket).
    func cancel() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the duration of the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    // safe: the array is never empty (it holds at least the NULL terminator), so it has a base address.
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
