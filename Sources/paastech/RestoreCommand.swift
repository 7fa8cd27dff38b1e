import ArgumentParser
import Backup
import Foundation

/// `paastech restore [--force] FILE`: a backup becomes this platform's state, and the releases that were
/// serving run again here (without a rebuild).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup and run its serving releases again (as root, platform running).")

    @OptionGroup var config: ConfigurationOptions
    @Flag(help: "Replace a database that already has projects.") var force = false
    @Argument(help: "The archive `paastech backup` wrote.") var file: String

    func run() async throws {
        let configuration = try config.load()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        try await PlatformRestore(configuration: configuration, configurationPath: config.resolvedPath, executable: executable,
                                  force: force).restore(from: file)
    }
}
