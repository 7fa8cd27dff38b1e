import ArgumentParser
import Foundation
import PlatformConfig

/// The one multi-call executable: every daemon and every command line tool of the platform.
@main
struct PaaSTechCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paastech",
        abstract: "PaaSTech Cloud: git push to a running app on your own Debian server.",
        version: PlatformVersion.current,
        subcommands: [APICommand.self, PomegranateCommand.self, MigrateCommand.self, DevCommand.self, AdminCommand.self, RunCommand.self, RollbackCommand.self, BackupCommand.self, RestoreCommand.self, HookCommand.self, RepoManagerCommand.self, GitdCommand.self, EdgeCommand.self, WebCommand.self,
                      SandboxCommand.self, BenchCommand.self])
}

/// Options every subcommand that reads the configuration shares.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Configuration file (default: $PAASTECH_CONFIG or /etc/paastech/paastech.toml).")
    var path: String?

    var resolvedPath: String {
        path ?? ProcessInfo.processInfo.environment["PAASTECH_CONFIG"] ?? PlatformConfiguration.defaultPath
    }

    func load() throws -> PlatformConfiguration {
        try PlatformConfiguration.load(path: resolvedPath)
    }
}
