import Foundation
import Glibc
import Pipeline
import PlatformConfig
import Store
import Synchronization

/// `paastech restore`: a backup made by ``PlatformBackup`` becomes this platform's state, and the apps that
/// were serving run again here.
///
///     check the manifest → check the database and Pomegranate → unpack → restore the database (one
///     transaction) → migrate → replace the state directories → redeploy the serving releases → reload
///
/// Nothing changes before the database is restored, and that is all or nothing: a refused or failed restore
/// up to there leaves the platform as it was. The platform must be running (Pomegranate runs the apps, the
/// API and gitd serve the restored data at once); gitd and the edge load their host keys and certificates at
/// start, so under systemd they are restarted at the end.
public struct PlatformRestore: Sendable {
    let configuration: PlatformConfiguration
    /// The configuration file, for `paastech migrate`.
    let configurationPath: String
    /// The paastech executable, to run `paastech migrate` as the database's owner.
    let executable: String
    /// Replace a database that already has projects.
    let force: Bool
    let output: PipelineOutput

    public init(configuration: PlatformConfiguration, configurationPath: String, executable: String, force: Bool,
                output: PipelineOutput = PipelineOutput()) {
        self.configuration = configuration
        self.configurationPath = StateFiles.absolute(configurationPath)
        self.executable = executable
        self.force = force
        self.output = output
    }

    /// Restores the archive at `path`.
    /// - Throws: ``BackupError``; ``BackupError/redeployFailed(_:)`` when everything was restored but some
    ///   deployments did not start again.
    public func restore(from path: String) async throws(BackupError) {
        let archive = StateArchive(path: StateFiles.absolute(path))
        let paths = configuration.paths
        let database = DatabaseTools(configuration.database)
        let agent = RestoreAgent(socket: paths.pomegranateSocket)

        output.stage("Reading \(archive.path)")
        let manifest = try await archive.manifest()
        try manifest.checkRestorable(schemaVersion: Migration.latestVersion)
        output.detail("made on \(manifest.host) at \(manifest.createdAt) by paastech \(manifest.platformVersion), "
                      + "schema version \(manifest.schemaVersion): \(manifest.directories.map(\.name).joined(separator: ", "))")

        output.stage("Checking this platform")
        let projects = try await database.projectCount()
        guard projects == 0 || force else { throw .databaseNotEmpty(projects: projects) }
        let running = try await agent.runningDeployments()
        output.detail("the database has \(projects) project(s)\(projects > 0 ? ", replaced (--force)" : ""); "
                      + "Pomegranate runs \(running.count) deployment(s)")

        let staging = try StateFiles.temporaryDirectory(in: paths.stateDirectory, prefix: ".restore-")
        defer { try? StateFiles.remove(staging) }
        output.stage("Unpacking into \(staging)")
        try await archive.extract(into: staging)

        output.stage("Restoring the database (pg_restore, one transaction)")
        try await StateFiles.withOpen(staging + "/" + manifest.database, O_RDONLY) { dump throws(BackupError) in
            try await database.restore(from: dump)
        }
        if manifest.schemaVersion < Migration.latestVersion {
            output.stage("Migrating the schema from version \(manifest.schemaVersion) to \(Migration.latestVersion)")
            try await database.program(executable, ["migrate", "--config", configurationPath]).run("migrate the restored database")
        }
        let releasesName = StateFiles.relative(paths.releasesDirectory, to: paths.stateDirectory)
        let releasesThere = manifest.directories.first { $0.name == releasesName }?.path ?? paths.releasesDirectory
        let interrupted = try await database.adaptRestoredReleases(from: releasesThere, to: paths.releasesDirectory)
        if interrupted > 0 { output.detail("\(interrupted) release(s) still being deployed at the snapshot will not finish here: marked failed") }

        let serving = try await database.servingReleases()
        let stale = running.subtracting(serving.map(\.deploymentID))
        if !stale.isEmpty {
            output.stage("Stopping \(stale.count) deployment(s) the backup does not have")
            try await agent.stop(stale)
        }

        output.stage("Replacing \(manifest.directories.map(\.name).joined(separator: ", ")) in \(paths.stateDirectory)")
        try replaceDirectories(from: staging, manifest: manifest)

        output.stage("Redeploying \(serving.count) serving release(s) without rebuilding")
        var failed: [String] = []
        for release in serving {
            if let problem = await redeploy(release) {
                output.error("\(release.label): \(problem)")
                failed.append(release.label)
            }
        }
        await reloadKeysAndCertificates()
        guard failed.isEmpty else { throw .redeployFailed(failed) }
        output.stage("Restored: \(serving.count) deployment(s) serving")
    }

    /// Moves each state directory the archive has from `staging` into place; the one it replaces goes into
    /// `staging`, deleted with it. A directory the archive lacks is left as it is.
    private func replaceDirectories(from staging: String, manifest: BackupManifest) throws(BackupError) {
        let replaced = staging + "/.replaced"
        try? FileManager.default.createDirectory(atPath: replaced, withIntermediateDirectories: false)
        let archived = Set(manifest.directories.map(\.name))
        for directory in configuration.paths.backedUpDirectories {
            guard let name = StateFiles.relative(directory, to: configuration.paths.stateDirectory), archived.contains(name) else {
                output.detail("\((directory as NSString).lastPathComponent): not in the backup, left as it is")
                continue
            }
            if StateFiles.exists(directory) {
                try StateFiles.rename(directory, to: replaced + "/" + name.replacingOccurrences(of: "/", with: "_"))
            }
            try StateFiles.rename(staging + "/" + name, to: directory)
        }
    }

    /// Runs the release again, as itself, through the deploy pipeline; its lines are shown only if it fails.
    /// - Returns: nil once it serves, or why it does not.
    private func redeploy(_ release: DatabaseTools.ServingRelease) async -> String? {
        let lines = LineBuffer()
        let pipeline = DeployPipeline(platform: InternalAPIPipelinePlatform(socketPath: configuration.paths.apiInternalSocket),
                                      settings: PipelineSettings(configuration), output: PipelineOutput(sink: { lines.append($0) }))
        do {
            let spec = try pipeline.specification(deploymentID: release.deploymentID, deploymentName: release.deployment,
                                                  release: release.release)
            let serving = try await pipeline.resume(spec)
            let live = lines.lines.last { $0.hasPrefix("-----> Live at ") }.map { "live at " + $0.dropFirst("-----> Live at ".count) }
            output.detail("\(release.label): \(serving.instances) instance(s), \(live ?? "running (worker)")")
            return nil
        } catch {
            for line in lines.lines { output.write(line) }
            return "\(error)"
        }
    }

    /// gitd and the edge read their host keys and certificates when they start: under systemd they are
    /// restarted (if running); otherwise the person restoring is told.
    private func reloadKeysAndCertificates() async {
        let units = ["paastech-gitd.service", "paastech-edge.service"]
        guard StateFiles.exists("/run/systemd/system") else {
            output.stage("Restart the platform (paastech dev, or paastech gitd and paastech edge) to serve the restored "
                         + "SSH host keys and certificates")
            return
        }
        output.stage("Restarting \(units.joined(separator: " and ")) for the restored SSH host keys and certificates")
        do {
            try await ExternalProgram("/usr/bin/systemctl", ["try-restart"] + units).run("restart \(units.joined(separator: ", "))")
        } catch {
            output.error("\(error); restart them yourself: systemctl restart \(units.joined(separator: " "))")
        }
    }
}

/// Lines a pipeline writes, kept until it is known whether to show them.
private final class LineBuffer: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}
