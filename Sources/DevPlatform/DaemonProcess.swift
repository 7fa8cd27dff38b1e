import Foundation
import Logging
import ServiceLifecycle
import Systemd

/// One platform daemon started by `paastech dev` as a child process, handed its listening
/// sockets like systemd would, restarted with backoff if it dies, and stopped with SIGTERM
/// (then SIGKILL after `stopTimeout`) on shutdown.
struct DaemonProcess: Service {
    let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let sockets: [ActivatedSocket]
    let logger: Logger
    var stopTimeout: Duration = .seconds(10)

    func run() async throws {
        var backoff: Duration = .milliseconds(250)
        while !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            let child = try spawn()
            logger.info("started \(name)", metadata: ["pid": "\(child.pid)"])
            let status = await withGracefulShutdownHandler {
                await child.waitForExit()
            } onGracefulShutdown: {
                child.terminate(after: stopTimeout)
            }
            if Task.isShuttingDownGracefully { break }
            logger.error("\(name) exited unexpectedly; restarting", metadata: ["status": "\(status)"])
            // A daemon that ran for a while gets a fresh backoff; a crash loop slows down.
            backoff = ContinuousClock.now - started > .seconds(30) ? .milliseconds(250) : min(backoff * 2, .seconds(10))
            try? await Task.sleep(for: backoff)
        }
    }

    private func spawn() throws -> ChildProcess {
        var childEnvironment = ProcessInfo.processInfo.environment
        for variable in SystemdEnvironment.variablesToStrip { childEnvironment[variable] = nil }
        childEnvironment.merge(environment) { _, new in new }
        childEnvironment["PAASTECH_LISTEN_FDS"] = String(sockets.count)
        childEnvironment["PAASTECH_LISTEN_FDNAMES"] = sockets.map(\.name).joined(separator: ":")
        return try ChildProcess.spawn(executable: executable, arguments: arguments, environment: childEnvironment,
                                      passingFDs: sockets.map(\.fd))
    }
}
