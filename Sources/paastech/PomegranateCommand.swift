import ArgumentParser
import Cgroups
import Foundation
import Glibc
import Logging
import NIOPosix
import PlatformConfig
import Pomegranate
import Sandbox
import ServiceLifecycle
import Systemd

/// `paastech pomegranate`: the root agent that runs every build and app instance in a sandbox.
/// Stopping it leaves the instances running (systemd: KillMode=process); the next start re-adopts them.
struct PomegranateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pomegranate", abstract: "Run builds and app instances in sandboxes.")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "pomegranate", configuration: configuration)
        let notifier = SystemdNotifier()
        let layout = PomegranateLayout(configuration.paths)
        let settings = SupervisorSettings(configuration.pomegranate)

        guard let initExecutable = SandboxPaths.initExecutable() else { throw SandboxError.missingInit }
        var network = SandboxRunner.NetworkSettings()
        network.bridgeName = configuration.pomegranate.bridge
        network.subnet = configuration.pomegranate.subnet
        network.stateDirectory = layout.runDirectory
        network.firewallTable = configuration.pomegranate.firewallTable
        let cgroups = try makeCgroupManager(legacySubtree: configuration.pomegranate.cgroupSubtree, logger: logger)
        let runner = try SandboxRunner(initExecutable: initExecutable, stagingRoot: layout.runDirectory + "/root",
                                       network: network, cgroups: cgroups, logger: logger)
        let supervisor = try Supervisor(runner: runner, layout: layout, settings: settings,
                                        eventLoops: MultiThreadedEventLoopGroup.singleton, logger: logger)
        try? notifier.status("re-adopting running instances")
        await supervisor.restore()

        let socket = try Self.listener(path: layout.socketPath)
        let services: [any Service] = [
            PomegranateServer(service: PomegranateService(supervisor: supervisor, settings: settings), socket: socket),
            PeriodicService(.every(.seconds(1))) { await supervisor.sleepIdleDeployments() },
            PeriodicService(.startOfEveryMinute) { await supervisor.sampleUsage() },
            WatchdogService(notifier: notifier, logger: logger),
        ]
        // The socket is bound and listening: connections queue until the server takes them.
        try? notifier.ready()
        try? notifier.status("supervising")
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
    }

    /// systemd's socket if activated, else the configured path: mode 0660, group `paastech` when it
    /// exists, so the platform's services (in that group) may connect and nobody else.
    static func listener(path: String) throws -> Int32 {
        if let activated = try SocketActivation.takeListeners().first {
            return activated.fd
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o600)
        if let group = getgrnam("paastech") {
            _ = chown(path, 0, group.pointee.gr_gid)
            _ = chmod(path, 0o660)
        }
        return fd
    }
}
