import Systemd

/// Why a backup could not be written or restored: what was being done, and how to fix it when that is known.
/// A struct around a private enum, so new reasons do not break callers; the static functions name the ones
/// callers may want to tell apart.
public struct BackupError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Reason: Equatable, Sendable {
        case unsupportedFormat(found: Int, supported: Int)
        case newerPlatform(archive: String, running: String)
        case newerSchema(archive: Int, running: Int)
        case notABackup(path: String, detail: String)
        case databaseNotEmpty(projects: Int)
        case programFailed(operation: String, program: String, termination: String, output: String)
        case file(operation: String, detail: String)
        case agentUnavailable(socket: String, detail: String)
        case redeployFailed(deployments: [String])
    }

    private let reason: Reason

    private init(_ reason: Reason) { self.reason = reason }

    /// The archive's `format_version` is not one this binary reads.
    public static func unsupportedFormat(found: Int, supported: Int) -> BackupError { .init(.unsupportedFormat(found: found, supported: supported)) }
    /// The archive was made by a newer paastech than the one restoring it.
    public static func newerPlatform(archive: String, running: String) -> BackupError { .init(.newerPlatform(archive: archive, running: running)) }
    /// The archive's database schema is newer than this binary's migrations.
    public static func newerSchema(archive: Int, running: Int) -> BackupError { .init(.newerSchema(archive: archive, running: running)) }
    /// The file is not a readable backup archive.
    public static func notABackup(path: String, detail: String) -> BackupError { .init(.notABackup(path: path, detail: detail)) }
    /// The database being restored into already has projects, and `--force` was not given.
    public static func databaseNotEmpty(projects: Int) -> BackupError { .init(.databaseNotEmpty(projects: projects)) }
    /// An external program (pg_dump, pg_restore, psql, tar, ...) failed.
    static func programFailed(_ operation: String, program: String, termination: String, output: String) -> BackupError {
        .init(.programFailed(operation: operation, program: program, termination: termination, output: output))
    }
    /// A file or directory operation failed.
    static func file(_ operation: String, _ detail: String) -> BackupError { .init(.file(operation: operation, detail: detail)) }
    /// Pomegranate did not answer on its socket.
    static func agentUnavailable(socket: String, detail: String) -> BackupError { .init(.agentUnavailable(socket: socket, detail: detail)) }
    /// The restore finished, but these deployments (`project/deployment vN`) do not run again.
    public static func redeployFailed(_ deployments: [String]) -> BackupError { .init(.redeployFailed(deployments: deployments)) }

    public var description: String {
        switch reason {
        case .unsupportedFormat(let found, let supported):
            "the archive's format version is \(found), but this paastech reads version \(supported) only: "
                + (found > supported ? "restore it with the paastech that made it, or a newer one" : "it is not a backup this paastech can read")
        case .newerPlatform(let archive, let running):
            "the backup was made by paastech \(archive), newer than this one (\(running)): upgrade paastech on this host first"
        case .newerSchema(let archive, let running):
            "the backup's database schema is at version \(archive), but this paastech knows versions up to \(running): upgrade paastech on this host first"
        case .notABackup(let path, let detail):
            "\(path) is not a paastech backup: \(detail)"
        case .databaseNotEmpty(let projects):
            "the database already has \(projects) project(s): restoring would replace them and everything else in it; "
                + "nothing was changed. Pass --force to replace them"
        case .programFailed(let operation, let program, let termination, let output):
            "cannot \(operation): \(program) \(termination)" + (output.isEmpty ? "" : ": \(output)")
        case .file(let operation, let detail):
            "cannot \(operation): \(detail)"
        case .agentUnavailable(let socket, let detail):
            "Pomegranate does not answer on \(socket) (\(detail)): start the platform first (systemctl start paastech.target, or paastech dev)"
        case .redeployFailed(let deployments):
            "the backup was restored, but \(deployments.joined(separator: ", ")) did not start again (see above): "
                + "fix the cause and run `paastech rollback PROJECT/DEPLOYMENT vN` or push again"
        }
    }
}

extension BackupError {
    /// A failed system call, as a file operation error.
    static func file(_ operation: String, _ error: SystemCallError) -> BackupError { .file(operation, "\(error)") }
}
