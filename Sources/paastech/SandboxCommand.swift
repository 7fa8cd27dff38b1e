import ArgumentParser
import Foundation
import Glibc
import Sandbox

/// `paastech sandbox run [options] -- CMD...`: a debugging front door to the sandbox code path.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Run commands in a sandbox, for debugging.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a command in a fresh sandbox and wait for it.")

        @Option(help: "Memory limit, e.g. 256M or 1G.") var memory: String?
        @Option(help: "Maximum number of processes.") var pids: Int?
        @Option(help: "CPU quota in cores, e.g. 0.5.") var cpu: Double?
        @Flag(help: "Give the sandbox a network interface on the platform bridge (default: loopback only).") var net = false
        @Option(name: .customLong("ro"), help: "An extra host path to bind read-only (repeatable).") var readOnlyPaths: [String] = []
        @Option(help: "Host directory to mount at /app.") var app: String?
        @Flag(help: "Mount /app writable (as for a build).") var writableApp = false
        @Option(help: "The sandbox's uid and gid.") var uid: UInt32 = 60000
        @Option(help: "Host name inside the sandbox.") var hostname = "sandbox"
        @Option(help: "Environment variable NAME=VALUE (repeatable).") var env: [String] = []
        @Flag(help: "Skip the seccomp filter (debugging only).") var noSeccomp = false
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.") var command: [String] = []

        func run() async throws {
            let command = command.first == "--" ? Array(command.dropFirst()) : command
            guard !command.isEmpty else { throw ValidationError("give the command to run after --") }
            let options = SandboxOptions(
                command: command, hostname: hostname, uid: uid, gid: uid, appDirectory: app, appWritable: writableApp,
                extraReadOnlyPaths: readOnlyPaths, environment: try Self.parse(env),
                limits: .init(memoryBytes: try memory.map(Self.bytes), cpuQuota: cpu, pids: pids),
                network: net ? .bridged(egress: true) : .loopback, seccomp: !noSeccomp)
            let exit = try await SandboxRunner.shared().run(options)
            if exit.oomKilled || exit.events.pidsMaxHits > 0 {
                FileHandle.standardError.write(Data("paastech sandbox: \(exit)\n".utf8))
            }
            throw ExitCode(exit.status ?? 1)
        }

        static func parse(_ pairs: [String]) throws -> [String: String] {
            var environment: [String: String] = [:]
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--env wants NAME=VALUE, got \(pair)")
                }
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return environment
        }

        static func bytes(_ text: String) throws -> UInt64 {
            let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
            let upper = text.uppercased()
            if let unit = upper.last, let scale = units[unit], let value = UInt64(upper.dropLast()) { return value * scale }
            guard let value = UInt64(upper) else { throw ValidationError("a size like 256M, got \(text)") }
            return value
        }
    }
}
