import Foundation
import Glibc
import Pipeline
import PlatformConfig

/// `paastech backup`: the platform's database and state directories in one tar archive.
///
///     dump the database (one snapshot) → manifest → archive repos, releases, logs, edge, git → rename into place
///
/// The platform keeps running meanwhile. pg_dump reads one consistent snapshot; the directories are copied
/// after it, not in the same instant: a push that finishes in between leaves a build or a commit the database
/// does not mention (harmless: the next push numbers its release after the database's), and a project deleted
/// or an old build pruned in between is in the database without its files (like any pruned build: push
/// again). For an exact copy, back up while nobody pushes or deletes projects. Everything is written in a
/// temporary directory next to the output and renamed at the end: a failed backup never leaves a file
/// under the final name.
public struct PlatformBackup: Sendable {
    let configuration: PlatformConfiguration
    let output: PipelineOutput

    public init(configuration: PlatformConfiguration, output: PipelineOutput = PipelineOutput()) {
        self.configuration = configuration
        self.output = output
    }

    /// `paastech-backup-20260102T030405Z.tar`.
    public static func defaultFileName(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "paastech-backup-\(formatter.string(from: date)).tar"
    }

    /// Writes the backup.
    /// - Parameter destination: The archive to write (replaced if it exists), or an existing directory to write
    ///   ``defaultFileName(at:)`` in.
    /// - Returns: The archive's path and its manifest.
    @discardableResult
    public func write(to destination: String) async throws(BackupError) -> (path: String, manifest: BackupManifest) {
        let started = Date()
        var path = StateFiles.absolute(destination)
        if StateFiles.isDirectory(path) { path += "/" + Self.defaultFileName(at: started) }
        let staging = try StateFiles.temporaryDirectory(in: (path as NSString).deletingLastPathComponent,
                                                        prefix: ".paastech-backup-")
        defer { try? StateFiles.remove(staging) }

        let database = DatabaseTools(configuration.database)
        output.stage("Dumping the database (pg_dump: one consistent snapshot)")
        let schemaVersion = try await database.schemaVersion()
        let dumpPath = staging + "/" + BackupManifest.databaseFileName
        try await StateFiles.withOpen(dumpPath, O_WRONLY | O_CREAT | O_EXCL) { dump throws(BackupError) in try await database.dump(to: dump) }
        output.detail("\(BackupManifest.databaseFileName): \(StateFiles.size(of: dumpPath)), schema version \(schemaVersion)")

        let paths = configuration.paths
        let directories = try paths.backedUpDirectories.filter(StateFiles.exists).map { directory throws(BackupError) in
            guard let name = StateFiles.relative(directory, to: paths.stateDirectory) else {
                throw BackupError.file("archive \(directory)", "it is not inside the state directory \(paths.stateDirectory)")
            }
            return BackupManifest.Directory(name: name, path: directory)
        }
        let manifest = BackupManifest(schemaVersion: schemaVersion, createdAt: ISO8601DateFormatter().string(from: started),
                                      host: ProcessInfo.processInfo.hostName, stateDirectory: paths.stateDirectory,
                                      directories: directories)
        try StateFiles.write(try manifest.encoded(), to: staging + "/" + BackupManifest.fileName)

        let names = directories.map(\.name)
        output.stage("Archiving \(names.joined(separator: ", ")) from \(paths.stateDirectory) (copied after the snapshot)")
        let partial = staging + "/archive.tar"
        // The archive holds password hashes, TLS and SSH keys: only its owner may read it.
        close(try StateFiles.open(partial, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600))
        try await StateArchive(path: partial).create(staging: staging, stateDirectory: paths.stateDirectory, names: names)
        try StateFiles.rename(partial, to: path)
        output.stage("Wrote \(path) (\(StateFiles.size(of: path)))")
        return (path, manifest)
    }
}
