import Foundation
import Glibc
import Logging
import Systemd

/// Runs sandboxes: plans the root filesystem, compiles the seccomp filter once, places each
/// sandbox in a cgroup with its limits and on the network, and spawns it through the C child.
public final class SandboxRunner: Sendable {
    let initExecutable: String
    let stagingRoot: String
    let resolvConf: String

    public init(initExecutable: String, stagingRoot: String) throws {
        self.initExecutable = initExecutable
        self.stagingRoot = stagingRoot
        resolvConf = SandboxPaths.resolvConf()
        try FileManager.default.createDirectory(atPath: stagingRoot, withIntermediateDirectories: true)
    }

    /// A runner with the default locations, for the command line.
    public static func shared() throws -> SandboxRunner {
        guard let initExecutable = SandboxPaths.initExecutable() else {
            throw SandboxError.missingInit
        }
        return try SandboxRunner(initExecutable: initExecutable, stagingRoot: "/run/paastech/sandbox-root")
    }

    /// Starts the sandbox and returns once its init runs the command.
    public func start(_ options: SandboxOptions) async throws -> SpawnedProcess {
        guard let executable = options.command.first.flatMap({ SandboxPaths.resolve(command: $0) }) else {
            throw SandboxError.commandNotFound(options.command.first ?? "")
        }
        var filesystem = RootFilesystem.Options(hostname: options.hostname, uid: options.uid, gid: options.gid,
                                                initExecutable: initExecutable, resolvConf: resolvConf)
        filesystem.appDirectory = options.appDirectory
        filesystem.appWritable = options.appWritable
        filesystem.dataDirectory = options.dataDirectory
        filesystem.extraReadOnlyPaths = options.extraReadOnlyPaths
        var request = SpawnRequest(
            stagingRoot: stagingRoot, operations: RootFilesystem(options: filesystem).operations(),
            hostname: options.hostname, uid: options.uid, gid: options.gid, fds: options.stdio,
            workingDirectory: options.workingDirectory, executable: "/init",
            arguments: [executable] + options.command.dropFirst(), environment: options.fullEnvironment)
        request.waitForParent = false
        let finalRequest = request
        return try await Self.onDedicatedThread { try Spawner.spawn(finalRequest) }
    }

    /// Runs the sandbox to completion and returns its exit status (128 + signal if killed).
    public func run(_ options: SandboxOptions) async throws -> Int32 {
        let process = try await start(options)
        return await Self.onDedicatedThread {
            var status: Int32 = 0
            while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
            close(process.pidfd)
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// Blocking work (clone, waiting for exec, waitpid) off the cooperative pool.
    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try DetachedThread.start { continuation.resume(with: Result { try body() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            do {
                try DetachedThread.start { continuation.resume(returning: body()) }
            } catch {
                continuation.resume(returning: body())
            }
        }
    }
}

public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case missingInit
    case commandNotFound(String)

    public var description: String {
        switch self {
        case .missingInit:
            "paastech-init was not found next to paastech or in /usr/lib/paastech: build it (swift build) or reinstall the package"
        case .commandNotFound(let name):
            "\(name): no such program in the sandbox (give an absolute path, or a name found in /usr/local/bin, /usr/bin or /usr/sbin)"
        }
    }
}
