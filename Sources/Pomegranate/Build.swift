import Glibc
import Sandbox
import Synchronization

/// A build: the pipeline's builder command in a sandbox with the project's uid, its source writable
/// at `/app`, its cache at `/data`, egress on, and the build limits.
public struct BuildRequest: Sendable {
    public var identity: DeploymentIdentity
    /// `[a-z0-9-]{1,40}`: names the build's cgroup (`builds/build-<id>`).
    public var buildID: String
    public var sourceDirectory: String
    public var cacheDirectory: String?
    public var command: [String]
    public var environment: [String: String]
    public var memoryBytes: UInt64?
    public var cpu: Double?
    public var timeoutSeconds: Int?

    public init(identity: DeploymentIdentity, buildID: String, sourceDirectory: String, cacheDirectory: String? = nil,
                command: [String], environment: [String: String] = [:], memoryBytes: UInt64? = nil, cpu: Double? = nil,
                timeoutSeconds: Int? = nil) {
        self.identity = identity
        self.buildID = buildID
        self.sourceDirectory = sourceDirectory
        self.cacheDirectory = cacheDirectory
        self.command = command
        self.environment = environment
        self.memoryBytes = memoryBytes
        self.cpu = cpu
        self.timeoutSeconds = timeoutSeconds
    }
}

public enum BuildEvent: Sendable, Equatable {
    /// One line of the build's output (stdout and stderr together, in order).
    case output(String)
    case finished(BuildResult)
}

public struct BuildResult: Sendable, Equatable {
    /// 0 is success; nil if it could not start.
    public var exitStatus: Int32?
    public var oomKilled: Bool
    public var timedOut: Bool
    public var message: String

    public var succeeded: Bool { exitStatus == 0 && !timedOut }
}

extension Supervisor {
    /// Runs a build; the stream carries its output as it comes, then its result. Ending the
    /// iteration early (the pusher went away) kills the build.
    public nonisolated func build(_ request: BuildRequest) -> AsyncStream<BuildEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self)
        let task = Task {
            let result = await runBuild(request) { continuation.yield(.output($0)) }
            continuation.yield(.finished(result))
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private nonisolated func runBuild(_ request: BuildRequest, output: @escaping @Sendable (String) -> Void) async -> BuildResult {
        let instance = "build-" + request.buildID
        let logs = self.logs
        let emit: @Sendable (String) -> Void = { line in
            output(line)
            logs.append(line, stream: .stdout, instance: instance, deployment: request.identity)
        }
        let failed = { (message: String) -> BuildResult in
            logs.append(message, stream: .system, instance: instance, deployment: request.identity)
            return BuildResult(exitStatus: nil, oomKilled: false, timedOut: false, message: message)
        }
        let projectUID: UInt32
        let pipe: OutputPipe
        do {
            projectUID = try uid(forProject: request.identity.projectID)
            pipe = try OutputPipe.make()
        } catch {
            return failed("the build could not start: \(error)")
        }
        for directory in [request.sourceDirectory, request.cacheDirectory].compactMap({ $0 }) {
            var status = stat()
            let owned = stat(directory, &status) == 0 && status.st_uid == projectUID
            if !owned, let refused = changeOwnerRecursively(directory, uid: projectUID, gid: projectUID) {
                close(pipe.readEnd)
                close(pipe.writeEnd)
                return failed("the build could not start: \(refused) cannot be given to uid \(projectUID): \(String(cString: strerror(errno)))")
            }
        }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        var options = SandboxOptions(
            command: request.command, hostname: "build", uid: projectUID, gid: projectUID,
            appDirectory: request.sourceDirectory, appWritable: true, dataDirectory: request.cacheDirectory,
            extraReadOnlyPaths: settings.readOnlyPaths, environment: request.environment,
            limits: .init(memoryBytes: max(request.memoryBytes ?? 0, settings.buildMemoryBytes), cpuQuota: request.cpu,
                          pids: settings.buildPids),
            network: .bridged(egress: true))
        options.id = request.buildID
        options.isBuild = true
        options.stdio = [devNull, pipe.writeEnd, pipe.writeEnd]
        let sandbox: RunningSandbox
        do {
            sandbox = try await runner.start(options)
        } catch {
            for fd in [devNull, pipe.readEnd, pipe.writeEnd] { close(fd) }
            return failed("the build could not start: \(error)")
        }
        close(devNull)
        close(pipe.writeEnd)
        let (ended, endedContinuation) = AsyncStream.makeStream(of: Void.self)
        do {
            try await LineReader.start(fd: pipe.readEnd, on: eventLoops, onLine: emit, onEnd: { endedContinuation.finish() })
        } catch {
            close(pipe.readEnd)
            endedContinuation.finish()
        }
        let timeout = request.timeoutSeconds ?? settings.buildTimeoutSeconds
        let timedOut = Mutex(false)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            timedOut.withLock { $0 = true }
            _ = await sandbox.terminate(gracePeriod: .seconds(5))
        }
        let exit = await withTaskCancellationHandler {
            await sandbox.waitForExit()
        } onCancel: {
            Task { _ = await sandbox.terminate(gracePeriod: .seconds(2)) }
        }
        watchdog.cancel()
        for await _ in ended {}  // every line is out before the result
        let wasTimedOut = timedOut.withLock { $0 }
        var message = wasTimedOut ? "the build took longer than \(timeout) s and was stopped" : "build \(exit)"
        if exit.oomKilled { message += " (raise the deployment's memory)" }
        logs.append(message, stream: .system, instance: instance, deployment: request.identity)
        return BuildResult(exitStatus: exit.status, oomKilled: exit.oomKilled, timedOut: wasTimedOut, message: message)
    }
}
