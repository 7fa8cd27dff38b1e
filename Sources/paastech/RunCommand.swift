import ArgumentParser
import Foundation
import Glibc
import GRPCCore
import PlatformConfig
import PomegranateRPC
import Systemd

/// `paastech run PROJECT/DEPLOYMENT -- CMD...`: a one-off command inside a running instance (its
/// namespaces, cgroup, uid and seccomp filter), with stdio streamed; exits with the command's status.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command inside a running instance of a deployment.")

    @OptionGroup var config: ConfigurationOptions
    @Option(help: "A specific instance (see `paastech status`); default: any running one.") var instance: String?
    @Option(name: .customLong("env"), help: "NAME=value for the command (repeatable).") var environment: [String] = []
    @Argument(help: "PROJECT/DEPLOYMENT, e.g. shop/web.") var target: String
    @Argument(parsing: .postTerminator, help: "The command and its arguments.") var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command after --, e.g. paastech run shop/web -- ls /app") }
        guard target.split(separator: "/").count == 2 else { throw ValidationError("\(target): expected PROJECT/DEPLOYMENT, e.g. shop/web") }
        for pair in environment where !pair.contains("=") { throw ValidationError("--env \(pair): expected NAME=value") }
    }

    func run() async throws {
        let socket = try config.load().paths.pomegranateSocket
        let parts = target.split(separator: "/").map(String.init)
        var start = Paastech_Pomegranate_V1_RunStart()
        start.command = command
        start.instanceID = instance ?? ""
        for pair in environment {
            let (name, value) = (String(pair.prefix { $0 != "=" }), String(pair.drop { $0 != "=" }.dropFirst()))
            start.environment[name] = value
        }
        let status: Int32 = try await PomegranateConnection.withClient(socketPath: socket) { client in
            let deployments = try await client.instances.status(Paastech_Pomegranate_V1_StatusRequest()).deployments
            guard let deployment = deployments.first(where: { $0.projectName == parts[0] && $0.deploymentName == parts[1] }) else {
                throw ValidationError("no deployment \(target) is running on this host")
            }
            start.deploymentID = deployment.deploymentID
            let first = start
            return try await client.sessions.run(requestProducer: { writer in
                var message = Paastech_Pomegranate_V1_RunInput()
                message.start = first
                try await writer.write(message)
                for await chunk in Self.standardInput() {
                    var input = Paastech_Pomegranate_V1_RunInput()
                    input.stdin = Data(chunk)
                    try await writer.write(input)
                }
                var end = Paastech_Pomegranate_V1_RunInput()
                end.closeStdin = true
                try await writer.write(end)
            }, onResponse: { response in
                var status: Int32 = 1
                for try await message in response.messages {
                    switch message.output {
                    case .stdout(let bytes)?: Self.write(bytes, to: 1)
                    case .stderr(let bytes)?: Self.write(bytes, to: 2)
                    case .exitStatus(let code)?: status = code
                    case nil: break
                    }
                }
                return status
            })
        }
        throw ExitCode(status)
    }

    /// Our stdin, read on a thread of its own (it may be a terminal that never ends).
    static func standardInput() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            do {
                try DetachedThread.start {
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                        if count < 0 && errno == EINTR { continue }
                        guard count > 0 else { break }
                        continuation.yield(Array(buffer[0..<count]))
                    }
                    continuation.finish()
                }
            } catch {
                continuation.finish()
            }
        }
    }

    static func write(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)  // safe: loop runs only for non-empty data
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
