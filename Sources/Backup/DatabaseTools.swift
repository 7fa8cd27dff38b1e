import Foundation
import Glibc
import PlatformConfig
import Postgres

/// PostgreSQL's client programs (pg_dump, pg_restore, psql) pointed at the platform's database.
///
/// The connection is `[database] conninfo`; empty means the local socket with peer authentication and
/// database `paastech`, as for the API. Peer authentication names the role after the OS user, so a backup
/// or restore run as root (it must read and write every state directory) runs these programs as the API's
/// user, the database's owner, through runuser — as the package's postinst runs `paastech migrate`. Their
/// files are opened here, by root, and handed over as stdin or stdout.
struct DatabaseTools: Sendable {
    /// The OS user the API runs as (units/paastech-api.service), whose role owns the database.
    static let serviceUser = "paastech"
    /// Where Debian's postgresql-common puts the client programs (its pg_wrapper picks the version).
    static let programDirectory = "/usr/bin"

    /// libpq connection string.
    let conninfo: String
    /// Whom the programs run as, or nil for this process's own user.
    let osUser: String?

    init(_ settings: PlatformConfiguration.Database) {
        if settings.connectionInfo.isEmpty {
            conninfo = PostgresConfiguration.unixSocket().conninfo
            osUser = geteuid() == 0 ? Self.serviceUser : nil
        } else {
            conninfo = settings.connectionInfo
            osUser = nil
        }
    }

    /// `executable arguments`, as ``osUser`` when there is one.
    func program(_ executable: String, _ arguments: [String]) -> ExternalProgram {
        guard let osUser else { return ExternalProgram(executable, arguments) }
        var program = ExternalProgram("/usr/sbin/runuser", ["-u", osUser, "--", executable] + arguments)
        program.directory = "/"  // root's working directory may be closed to that user
        return program
    }

    /// pg_dump's custom format (compressed, restorable table by table) of the whole database, written to
    /// `descriptor`. One transaction: a consistent snapshot, taken while the platform keeps running.
    func dump(to descriptor: Int32) async throws(BackupError) {
        var dump = program(Self.programDirectory + "/pg_dump", ["--format=custom", "--no-password", "--dbname=" + conninfo])
        dump.outputDescriptor = descriptor
        try await dump.run("dump the database")
    }

    /// Replaces every object of the dump read from `descriptor` in one transaction: all or nothing. Owners
    /// and privileges are not restored (the roles of the platform backed up need not exist here): everything
    /// belongs to the role restoring it, the database's owner.
    func restore(from descriptor: Int32) async throws(BackupError) {
        var restore = program(Self.programDirectory + "/pg_restore", [
            "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--no-password",
            "--dbname=" + conninfo,
        ])
        restore.inputDescriptor = descriptor
        try await restore.run("restore the database")
    }

    /// Runs a psql script (variables `:'name'` set from `variables`) and returns what it printed, unaligned
    /// and without headers: one row a line.
    func query(_ script: String, variables: [String: String] = [:], purpose: String) async throws(BackupError) -> String {
        var arguments = ["--no-psqlrc", "--quiet", "--no-align", "--tuples-only", "--no-password", "--set=ON_ERROR_STOP=1",
                         "--dbname=" + conninfo]
        arguments += variables.sorted { $0.key < $1.key }.map { "--set=\($0.key)=\($0.value)" }
        var psql = program(Self.programDirectory + "/psql", arguments + ["--file=-"])
        psql.input = Array(script.utf8)
        return try await psql.run(purpose).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The newest migration applied; 0 for a database the platform never migrated.
    func schemaVersion() async throws(BackupError) -> Int {
        let text = try await query("""
            SELECT to_regclass('public.schema_migrations') IS NOT NULL AS migrated \\gset
            \\if :migrated
            SELECT coalesce(max(version), 0) FROM schema_migrations;
            \\else
            SELECT 0;
            \\endif
            """, purpose: "read the database's schema version")
        return Int(text) ?? 0
    }

    /// How many projects the database has; 0 for a database the platform never migrated.
    func projectCount() async throws(BackupError) -> Int {
        let text = try await query("""
            SELECT to_regclass('public.projects') IS NOT NULL AS migrated \\gset
            \\if :migrated
            SELECT count(*) FROM projects;
            \\else
            SELECT 0;
            \\endif
            """, purpose: "count the projects in the database")
        return Int(text) ?? 0
    }

    /// A deployment's serving release, as the database records it.
    struct ServingRelease: Decodable, Sendable {
        var deploymentID: String
        var deployment: String
        var project: String
        var version: Int
        var release: String { "v\(version)" }
        var label: String { "\(project)/\(deployment) \(release)" }
        enum CodingKeys: String, CodingKey { case deploymentID = "deployment_id", deployment, project, version }
    }

    /// Every deployment's live release, by project and deployment name.
    func servingReleases() async throws(BackupError) -> [ServingRelease] {
        let text = try await query("""
            SELECT coalesce(json_agg(json_build_object('deployment_id', d.uuid, 'deployment', d.name, 'project', p.name,
                                                       'version', r.version) ORDER BY p.name, d.name), '[]')
            FROM releases r JOIN deployments d ON d.uuid = r.deployment_uuid JOIN projects p ON p.uuid = d.project_uuid
            WHERE r.status = 'live';
            """, purpose: "list the serving releases")
        do {
            return try JSONDecoder().decode([ServingRelease].self, from: Data(text.utf8))
        } catch {
            throw .file("read the serving releases psql listed", "\(error): \(text.prefix(200))")
        }
    }

    /// Fits the restored release rows to this platform: build logs recorded under `old` (the releases directory
    /// of the platform backed up) point at the same files under `new`, and releases a push or a redeploy was
    /// still working on when the snapshot was taken (they never finish here) are marked failed.
    /// - Returns: How many releases were marked failed.
    func adaptRestoredReleases(from old: String, to new: String) async throws(BackupError) -> Int {
        let text = try await query("""
            UPDATE releases SET build_log_path = :'new' || substr(build_log_path, length(:'old') + 1)
            WHERE :'old' <> :'new' AND starts_with(build_log_path, :'old' || '/');
            WITH interrupted AS (
                UPDATE releases SET status = 'failed', updated_at = now()
                WHERE status IN ('pending', 'building', 'built', 'deploying') RETURNING 1)
            SELECT count(*) FROM interrupted;
            """, variables: ["old": old, "new": new], purpose: "update the restored releases")
        return Int(text) ?? 0
    }
}
