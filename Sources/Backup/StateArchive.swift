/// The backup archive, an uncompressed tar written and read by GNU tar.
///
/// Owners are recorded by name and by number; a restore as root gives each file the owner of that *name*
/// where this host has it (the platform's system users — paastech, paastech-git — get different uids on
/// different hosts) and the recorded number otherwise (the projects' uids, which have no name).
struct StateArchive: Sendable {
    static let tar = "/usr/bin/tar"

    /// The archive's path.
    let path: String

    /// Writes the archive: `manifest.json` first (so it is found without reading the rest), then the dump
    /// from `staging`, then the directories `names` of `stateDirectory`. Files that change while being read
    /// (logs being written) are archived as they were read.
    /// Checkouts being prepared for a push (`releases/.incoming`) are left out: they are no release yet.
    func create(staging: String, stateDirectory: String, names: [String]) async throws(BackupError) {
        var tar = ExternalProgram(Self.tar, [
            "--create", "--file=" + path, "--warning=no-file-changed", "--warning=no-file-removed",
            "--anchored", "--exclude=releases/.incoming",
            "--directory=" + staging, BackupManifest.fileName, BackupManifest.databaseFileName,
            "--directory=" + stateDirectory,
        ] + names)
        // GNU tar's status 1 after --create: some files changed while they were read.
        tar.acceptedStatuses = [0, 1]
        try await tar.run("archive the state directory")
    }

    /// The manifest, read without unpacking anything else.
    func manifest() async throws(BackupError) -> BackupManifest {
        let result: [UInt8]
        do {
            result = try await ExternalProgram(Self.tar, [
                "--extract", "--to-stdout", "--occurrence=1", "--file=" + path, BackupManifest.fileName,
            ]).run("read the archive's manifest").stdout
        } catch {
            throw .notABackup(path: path, detail: "\(error)")
        }
        return try BackupManifest.decode(result, archive: path)
    }

    /// Unpacks the whole archive into `directory`, with owners (by name where this host has the name),
    /// modes and times.
    func extract(into directory: String) async throws(BackupError) {
        try await ExternalProgram(Self.tar, [
            "--extract", "--file=" + path, "--directory=" + directory, "--same-owner", "--same-permissions",
        ]).run("unpack \(path)")
    }
}
