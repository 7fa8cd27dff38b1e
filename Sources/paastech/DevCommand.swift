import ArgumentParser
import DevPlatform
import Foundation
import Logging
import Systemd

/// `paastech dev`: the whole platform in the foreground, for a laptop or CI.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole platform in the foreground (private PostgreSQL, unprivileged ports).")

    @Option(help: "Where the platform keeps its data between runs.")
    var stateDir = ".paastech"

    @Option(help: "Port of the API.")
    var apiPort = 8081

    func run() async throws {
        LoggingSystemSetup.bootstrap(identifier: "paastech-dev", level: .info)
        var ports = DevPorts()
        ports.api = apiPort
        let executable = try Self.ownExecutable()
        try await DevPlatform(stateDirectory: stateDir, ports: ports, executable: executable,
                              logger: Logger(label: "paastech-dev")).run()
    }

    /// The children are this same multi-call binary.
    static func ownExecutable() throws -> String {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return path
    }
}
