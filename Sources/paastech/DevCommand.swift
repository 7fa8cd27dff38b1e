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

    @Option(help: "Port of the git server (git push over SSH).")
    var sshPort = 2222

    @Option(help: "Port of the edge's plain HTTP (apps at http://<deployment>.<project>.apps.localhost:<port>).")
    var httpPort = 8080

    @Option(help: "Port of the edge's HTTPS (certificates from a local CA the edge generates).")
    var httpsPort = 8443

    @Option(help: "Port of the web console (served by the edge at http://console.localhost:<http-port>).")
    var consolePort = 8082

    @Option(help: "Name of the sandboxes' nftables table and cgroup subtree (the bridge adds a 0): set it to run a second dev platform.")
    var sandboxName = DevSandboxes().name

    @Option(help: "Subnet of the sandboxes' bridge.")
    var sandboxSubnet = DevSandboxes().subnet

    func run() async throws {
        LoggingSystemSetup.bootstrap(identifier: "paastech-dev", level: .info)
        var ports = DevPorts()
        ports.api = apiPort
        ports.ssh = sshPort
        ports.http = httpPort
        ports.https = httpsPort
        ports.console = consolePort
        let sandboxes: DevSandboxes
        do {
            sandboxes = try DevSandboxes(name: sandboxName, subnet: sandboxSubnet, firstUID: DevSandboxes().firstUID)
        } catch {
            throw ValidationError(error.description)
        }
        let executable = try Self.ownExecutable()
        try await DevPlatform(stateDirectory: stateDir, ports: ports, sandboxes: sandboxes, executable: executable,
                              logger: Logger(label: "paastech-dev")).run()
    }

    /// The children are this same multi-call binary.
    static func ownExecutable() throws -> String {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return path
    }
}
