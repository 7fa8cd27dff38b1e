import ArgumentParser
import Backup
import Foundation

/// `paastech backup [--output FILE]`: the database (pg_dump) and the state directories (repositories,
/// releases, logs, certificates, SSH host keys) in one tar archive, while the platform keeps running.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write the database and the platform's state to one archive (as root).")

    @OptionGroup var config: ConfigurationOptions
    @Option(help: ArgumentHelp("The archive to write, or a directory for it (default: paastech-backup-<UTC time>.tar here).",
                               valueName: "file"))
    var output: String?

    func run() async throws {
        let configuration = try config.load()
        try await PlatformBackup(configuration: configuration).write(to: output ?? PlatformBackup.defaultFileName())
    }
}
