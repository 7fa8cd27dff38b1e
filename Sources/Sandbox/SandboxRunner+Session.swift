import Glibc

extension SandboxRunner {
    /// Runs a one-off command inside a running sandbox (a "session", `paastech run`): in its pid, mount,
    /// uts, ipc, net and cgroup namespaces and in its cgroup (so its limits apply to the session too), as
    /// its uid and gid, with no capabilities, no_new_privs, the same seccomp filter, in `/app`.
    ///
    /// The session is a child of this process, born in the sandbox's pid namespace: `ps` in it shows the
    /// sandbox's processes, and its own children that it leaves behind are reaped by the sandbox's init.
    /// It ends when the sandbox does.
    /// - Parameters:
    ///   - target: The running sandbox.
    ///   - command: The program (absolute, or a name found in `/usr/local/bin`, `/usr/bin`, `/usr/sbin`) and its arguments.
    ///   - environment: Added to the environment the sandbox was started with.
    ///   - stdio: stdin, stdout and stderr of the session.
    /// - Returns: Once the command has been exec'd; wait for it with ``SpawnedProcess/waitForExit()``,
    ///   whose status is always known for a session.
    /// - Throws: ``SandboxError/commandNotFound(_:)``, or a ``SpawnError`` naming the stage that failed
    ///   (`joinNamespaces` with ESRCH or EINVAL when the sandbox has ended).
    public func runSession(in target: RunningSandbox, command: [String], environment: [String: String] = [:],
                           stdio: [Int32]) async throws -> SpawnedProcess {
        guard let executable = command.first.flatMap({ SandboxPaths.resolve(command: $0) }) else {
            throw SandboxError.commandNotFound(command.first ?? "")
        }
        let identity = target.identity
        var request = SpawnRequest(
            stagingRoot: stagingRoot, operations: [], hostname: "", uid: identity.uid, gid: identity.gid, fds: stdio,
            workingDirectory: "/app", executable: executable, arguments: Array(command.dropFirst()),
            environment: identity.environment.merging(environment) { $1 })
        request.joining = target.process.pidfd
        request.seccompFilter = identity.seccomp ? seccomp.filter : nil
        let cgroup = target.cgroup
        request.cgroupFD = cgroup.directoryFD
        request.cgroupAttachFDs = cgroup.selfAttachDirectoryFDs
        request.waitForParent = false
        let finalRequest = request
        // A thread of its own that exits afterwards: the clone moves it into the target's pid namespace for
        // its children, and no later spawn may ever be born there should moving back fail.
        return try await Self.onDedicatedThread {
            try withExtendedLifetime(target) { try Spawner.spawn(finalRequest) }
        }
    }
}
