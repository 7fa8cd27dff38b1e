import Foundation
import Glibc
import Logging
import Postgres

/// A private PostgreSQL cluster (initdb + pg_ctl) for tests and `paastech dev`.
///
/// It listens only on a Unix socket inside its directory, and its superuser is named after the calling
/// OS user with peer authentication, so clients connect with no password exactly as production does.
/// Layout: `<directory>/data` (PGDATA), `<directory>/run` (socket), `<directory>/postgres.log`.
/// As root, the server runs as the `postgres` OS user (initdb refuses root) through `runuser`.
public struct PostgresCluster: Sendable {
    /// The cluster's own directory; it must be traversable by the server's OS user.
    public let directory: URL
    /// `false` turns off fsync and friends: fast, and fine for throw-away test data only.
    public let durable: Bool
    /// The server's `max_connections`.
    public let maxConnections: Int

    public init(directory: URL, durable: Bool = true, maxConnections: Int = 100) {
        self.directory = directory.standardizedFileURL
        self.durable = durable
        self.maxConnections = maxConnections
    }

    /// PGDATA.
    public var dataDirectory: URL { directory.appendingPathComponent("data", isDirectory: true) }
    /// The server's log.
    public var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// Where the server's socket lives: `<directory>/run`, or, when that path would not fit in
    /// `sun_path`, a short directory under /tmp derived from `directory` (so every run finds it again).
    public var socketDirectory: URL {
        let preferred = directory.appendingPathComponent("run", isDirectory: true)
        if (preferred.path + "/.s.PGSQL.5432").utf8.count < 100 { return preferred }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, unlike hashValue
        for byte in directory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return URL(fileURLWithPath: "/tmp/paastech-pg-\(String(hash, radix: 16))", isDirectory: true)
    }

    /// How to reach `database` in this cluster as its superuser (the calling OS user).
    public func configuration(database: String = "postgres", poolSize: Int = 10) -> PostgresConfiguration {
        .unixSocket(
            directory: socketDirectory.path, database: database, user: try? Self.userName(uid: geteuid()),
            poolSize: poolSize)
    }

    /// Creates the cluster on first use (initdb only when `data/PG_VERSION` is missing), writes its
    /// settings and starts it unless it is already running. Blocks for up to a minute; safe to call
    /// from several processes at once (they serialise on a lock file).
    /// - Returns: the configuration for the `postgres` database.
    @discardableResult
    public func start() throws -> PostgresConfiguration {
        try createDirectory(directory, mode: 0o755, owner: nil)
        try whileLocked { tools, account in
            try checkTraversable(by: account)
            if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
                try initialize(tools: tools, account: account)
            }
            try writeSettings(account: account)
            try createDirectory(socketDirectory, mode: 0o755, owner: account)
            if try !isRunning(tools: tools, account: account) {
                try launch(tools: tools, account: account)
            }
        }
        return configuration()
    }

    /// Stops the server (`pg_ctl stop -m fast`) if it runs.
    public func stop() throws {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("cluster.lock").path) else { return }
        try whileLocked { tools, account in
            guard try isRunning(tools: tools, account: account) else { return }
            let result = try run(
                tools.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60", "stop"],
                account: account)
            guard result.status == 0 else {
                throw PostgresClusterError("stopping the cluster in \(directory.path)", result.output)
            }
        }
    }

    /// Creates database `name` (lowercase letters, digits, `_`) unless it exists; returns its configuration.
    @discardableResult
    public func createDatabase(name: String, poolSize: Int = 10) async throws -> PostgresConfiguration {
        guard Self.isPlainIdentifier(name) else {
            throw PostgresClusterError(
                "creating database \"\(name)\"", "use 1 to 63 lowercase letters, digits or _, not starting with a digit")
        }
        let client = PostgresClient(
            configuration: configuration(database: "postgres", poolSize: 1),
            logger: Logger(label: "paastech.postgres-cluster"))
        defer { client.close() }
        if try await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)]).isEmpty {
            do {
                // A name cannot be a parameter; it was checked to be a plain identifier above.
                try await client.execute("CREATE DATABASE \(name)")
            } catch let error as PostgresError where error.sqlState == "42P04" {
                // Created concurrently by someone else: that is what we wanted.
            }
        }
        return configuration(database: name, poolSize: poolSize)
    }

    /// For test suites: one shared cluster (started once, reused across test runs and processes) and a
    /// FRESH empty database for each call, so tests can run in parallel. Databases left by test
    /// processes that no longer exist are dropped when a process first uses the cluster.
    public static func shared() async throws -> PostgresConfiguration {
        try await SharedTestCluster.instance.freshDatabase()
    }

    // MARK: Steps of start()

    private func initialize(tools: URL, account: ServerAccount) throws {
        // A partial data directory from an interrupted initdb would make initdb refuse: start over.
        if FileManager.default.fileExists(atPath: dataDirectory.path) {
            try FileManager.default.removeItem(at: dataDirectory)
        }
        try createDirectory(dataDirectory, mode: 0o700, owner: account)
        var arguments = [
            "-D", dataDirectory.path, "-U", try Self.userName(uid: geteuid()), "--auth-local=peer",
            "--auth-host=reject", "-E", "UTF8", "--no-locale",
        ]
        if !durable { arguments.append("--no-sync") }
        let result = try run(tools.appendingPathComponent("initdb"), arguments, account: account)
        guard result.status == 0 else {
            throw PostgresClusterError("initdb in \(dataDirectory.path)", result.output)
        }
        let include = "\n# Settings owned by PaaSTech's PostgresCluster, rewritten at every start.\n"
            + "include_if_exists = 'paastech.conf'\n"
        let handle = try FileHandle(forWritingTo: dataDirectory.appendingPathComponent("postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(include.utf8))
    }

    private func writeSettings(account: ServerAccount) throws {
        let flag = durable ? "on" : "off"
        let settings = [
            "listen_addresses = ''",
            "unix_socket_directories = \(Self.quotedSetting(socketDirectory.path))",
            "max_connections = \(maxConnections)",
            "fsync = \(flag)", "synchronous_commit = \(flag)", "full_page_writes = \(flag)",
        ]
        let file = dataDirectory.appendingPathComponent("paastech.conf")
        try (settings.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        try account.chown(file.path)
    }

    private func launch(tools: URL, account: ServerAccount) throws {
        // pg_ctl opens the log as the server user, in a directory that user cannot write.
        if !FileManager.default.fileExists(atPath: logFile.path),
           !FileManager.default.createFile(atPath: logFile.path, contents: nil) {
            throw PostgresClusterError("creating \(logFile.path)", String(cString: strerror(errno)), errno: errno)
        }
        try account.chown(logFile.path)
        let result = try run(
            tools.appendingPathComponent("pg_ctl"),
            ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "start"], account: account)
        guard result.status == 0 else {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw PostgresClusterError("starting the cluster in \(directory.path)", result.output + "\n" + tail)
        }
    }

    private func isRunning(tools: URL, account: ServerAccount) throws -> Bool {
        // pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
        let result = try run(tools.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "status"], account: account)
        return result.status == 0
    }

    // MARK: Processes, files, accounts

    /// Runs a PostgreSQL tool (as the server's account when that is not us); returns its status and output.
    ///
    /// posix_spawn, not Foundation's Process: Process gives each child a socket and waits for it to close,
    /// and the postmaster `pg_ctl start` leaves running would hold it forever. For the same reason the
    /// child gets no descriptor above stderr, and default signal handling so the server can be stopped.
    private func run(_ tool: URL, _ arguments: [String], account: ServerAccount) throws -> (status: Int32, output: String) {
        let argv = (account.switchToName.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [tool.path] + arguments
        let outputFile = directory.appendingPathComponent("command-output.log")
        let output = try retryingEINTR("opening \(outputFile.path)") {
            open(outputFile.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        defer { Glibc.close(output) }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        let inherited = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        // posix_spawn* return an error number instead of setting errno.
        let setupResults = [
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
            posix_spawn_file_actions_adddup2(&actions, output, 1),
            posix_spawn_file_actions_adddup2(&actions, output, 2),
            posix_spawnattr_setsigmask(&attributes, &noSignals),
            posix_spawnattr_setsigdefault(&attributes, &allSignals),
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
        ] + inherited.compactMap { Int32($0) }.filter { $0 > 2 }.map {
            posix_spawn_file_actions_addclose(&actions, $0)  // glibc skips any closed since
        }
        if let failure = setupResults.first(where: { $0 != 0 }) {
            throw PostgresClusterError("preparing to run \(tool.lastPathComponent)", String(cString: strerror(failure)), errno: failure)
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // A copy of the environment, not `environ` itself: another thread's setenv may move that array
        // while the child reads it (execve then fails with EFAULT, seen once in the full suite).
        let cEnvironment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        var code: Int32
        repeat { code = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment) } while code == EINTR
        guard code == 0 else {
            throw PostgresClusterError("starting \(argv[0])", String(cString: strerror(code)), errno: code)
        }
        var status: Int32 = 0
        _ = try retryingEINTR("waiting for \(tool.lastPathComponent)") { waitpid(pid, &status, 0) }
        // WIFEXITED/WEXITSTATUS are C macros: decode the wait status by hand.
        let exitCode = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return (exitCode, "\(tool.lastPathComponent) exited with \(exitCode): \(text)")
    }

    /// Runs `body` holding an exclusive `flock` on `<directory>/cluster.lock`, so concurrent processes
    /// never run initdb or pg_ctl on the same cluster at once.
    private func whileLocked(_ body: (_ tools: URL, _ account: ServerAccount) throws -> Void) throws {
        let path = directory.appendingPathComponent("cluster.lock").path
        let descriptor = try retryingEINTR("opening \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        defer { Glibc.close(descriptor) }
        _ = try retryingEINTR("locking \(path) (flock)") { flock(descriptor, LOCK_EX) }
        try body(try Self.locateTools(), try ServerAccount.forCurrentUser())
    }

    private func createDirectory(_ url: URL, mode: mode_t, owner: ServerAccount?) throws {
        if FileManager.default.fileExists(atPath: url.path) {
            var info = stat()
            _ = try retryingEINTR("stat \(url.path)") { stat(url.path, &info) }
            guard info.st_uid == geteuid() || info.st_uid == owner?.uid else {
                throw PostgresClusterError("preparing \(url.path)", "it belongs to uid \(info.st_uid); remove it")
            }
        } else {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            _ = try retryingEINTR("chmod \(url.path)") { chmod(url.path, mode) }
        }
        try owner?.chown(url.path)
    }

    /// The server opens paths below `directory`, so every ancestor must let its account search it.
    private func checkTraversable(by account: ServerAccount) throws {
        guard let uid = account.uid, let gid = account.gid else { return }
        var current = URL(fileURLWithPath: "/")
        for component in directory.pathComponents.dropFirst() {
            current.appendPathComponent(component)
            var info = stat()
            _ = try retryingEINTR("stat \(current.path)") { stat(current.path, &info) }
            let bit: mode_t = info.st_uid == uid ? S_IXUSR : info.st_gid == gid ? S_IXGRP : S_IXOTH
            guard info.st_mode & bit != 0 else {
                throw PostgresClusterError(
                    "preparing \(directory.path)",
                    "the postgres user cannot enter \(current.path); run `chmod o+x \(current.path)` or pick another directory")
            }
        }
    }

    private static func locateTools() throws -> URL {
        // Debian keeps server binaries out of PATH, one directory per major version: prefer the newest.
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).compactMap(Int.init)
        var candidates = versions.sorted(by: >).map { root.appendingPathComponent("\($0)/bin") }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        candidates += path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        for candidate in candidates
        where ["initdb", "pg_ctl", "postgres"].allSatisfy({
            FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent($0).path)
        }) {
            return candidate
        }
        throw PostgresClusterError(
            "locating initdb and pg_ctl", "not found in /usr/lib/postgresql/*/bin or PATH; install postgresql")
    }

    static func userName(uid: uid_t) throws -> String {
        try passwdEntry("looking up the name of uid \(uid)") { getpwuid_r(uid, &$0, &$1, $1.count, &$2) }.name
    }

    /// What `CREATE DATABASE` accepts without quoting: 1 to 63 of `[a-z0-9_]`, not starting with a digit.
    static func isPlainIdentifier(_ name: String) -> Bool {
        name.utf8.count <= 63 && name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil
    }

    /// A postgresql.conf string value: single quotes, with embedded quotes doubled.
    private static func quotedSetting(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// The OS account the server runs as: ourselves, or `postgres` when we are root.
private struct ServerAccount {
    var switchToName: String?
    var uid: uid_t?
    var gid: gid_t?

    static func forCurrentUser() throws -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount() }
        let entry = try passwdEntry(
            "finding the postgres OS user (initdb refuses root); install postgresql or run unprivileged"
        ) { getpwnam_r("postgres", &$0, &$1, $1.count, &$2) }
        return ServerAccount(switchToName: entry.name, uid: entry.uid, gid: entry.gid)
    }

    /// Hands `path` to the server's account (a no-op when that is us).
    func chown(_ path: String) throws {
        guard let uid, let gid else { return }
        _ = try retryingEINTR("chown \(path) to postgres") { Glibc.chown(path, uid, gid) }
    }
}

/// Runs a syscall returning -1 on failure, retrying EINTR; throws with errno otherwise.
private func retryingEINTR(_ attempt: String, _ call: () -> Int32) throws -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        if errno != EINTR { throw PostgresClusterError(attempt, String(cString: strerror(errno)), errno: errno) }
    }
}

/// Runs a `get*_r` passwd lookup (which returns an error number, and a nil result when there is no entry).
private func passwdEntry(
    _ attempt: String, _ lookup: (inout passwd, inout [CChar], inout UnsafeMutablePointer<passwd>?) -> Int32
) throws -> (name: String, uid: uid_t, gid: gid_t) {
    var entry = passwd()
    var buffer = [CChar](repeating: 0, count: 4096)  // the strings in `entry` point into it
    var result: UnsafeMutablePointer<passwd>?
    let code = lookup(&entry, &buffer, &result)
    guard code == 0, result != nil else {
        throw PostgresClusterError(attempt, code == 0 ? "no such user" : String(cString: strerror(code)), errno: code)
    }
    return (String(cString: entry.pw_name), entry.pw_uid, entry.pw_gid)
}

/// A step of creating, starting or stopping a ``PostgresCluster`` failed.
public struct PostgresClusterError: Error, CustomStringConvertible, Sendable {
    /// What was being attempted.
    public var operation: String
    /// Why it failed: tool output, the log's tail, or the system error.
    public var reason: String
    /// The errno, for failed system calls.
    public var errno: Int32?

    init(_ operation: String, _ reason: String, errno: Int32? = nil) {
        (self.operation, self.reason, self.errno) = (operation, reason, errno)
    }

    public var description: String {
        "PostgreSQL cluster: \(operation) failed\(errno.map { " (errno \($0))" } ?? ""): \(reason)"
    }
}

/// The cluster shared by every test in this process (and by concurrent test processes).
private actor SharedTestCluster {
    static let instance = SharedTestCluster()

    private let cluster = PostgresCluster(
        directory: URL(fileURLWithPath: "/tmp/paastech-test-pg-\(geteuid())"), durable: false, maxConnections: 300)
    private var administration: Task<PostgresClient, Error>?
    private var databasesCreated = 0

    func freshDatabase() async throws -> PostgresConfiguration {
        let administration = try await administrationClient()
        databasesCreated += 1
        // t_<pid>_... lets a later process recognise databases whose test process is gone.
        let name = "t_\(getpid())_\(databasesCreated)_\(String(UInt32.random(in: .min ... .max), radix: 36))"
        try await administration.execute("CREATE DATABASE \(name)")
        return cluster.configuration(database: name)
    }

    private func administrationClient() async throws -> PostgresClient {
        if let administration { return try await administration.value }
        let cluster = cluster
        let task = Task { () async throws -> PostgresClient in
            // start() blocks on initdb/pg_ctl: keep that off the cooperative pool.
            _ = try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try cluster.start() }) }.start()
            }
            let client = PostgresClient(
                configuration: cluster.configuration(database: "postgres", poolSize: 2),
                logger: Logger(label: "paastech.test-postgres"))
            await Self.dropAbandonedDatabases(client)
            return client
        }
        administration = task
        return try await task.value
    }

    /// Drops `t_<pid>_*` databases whose process has exited (a killed or finished test run).
    private static func dropAbandonedDatabases(_ client: PostgresClient) async {
        let rows = (try? await client.query("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'")) ?? []
        for row in rows {
            guard let name = try? row.decode("datname", as: String.self), PostgresCluster.isPlainIdentifier(name),
                  let pid = name.split(separator: "_").dropFirst().first.flatMap({ pid_t($0) }),
                  pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            _ = try? await client.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }
}
