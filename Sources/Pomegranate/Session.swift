import Glibc
import NIOCore
import Sandbox
import Synchronization

/// A one-off command running inside an instance (`paastech run`): its stdin, and its output
/// followed by its exit status.
public struct Session: Sendable {
    public enum Output: Sendable, Equatable {
        case stdout([UInt8])
        case stderr([UInt8])
        /// The last element: the exit status, or 128 + signal; nil when it is not known.
        case exit(Int32?)
    }

    public let output: AsyncStream<Output>
    let stdin: any Channel

    public func write(_ bytes: [UInt8]) async throws {
        try await stdin.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// End-of-file on the command's stdin.
    public func closeInput() async {
        try? await stdin.close()
    }
}

extension Supervisor {
    /// Runs `command` in a running instance of the deployment (`instanceID`, or any of the serving
    /// release): its namespaces, cgroup, uid and seccomp filter.
    public func session(deploymentID: String, instanceID: String?, command: [String],
                        environment: [String: String]) async throws -> Session {
        let target = try sessionTarget(deploymentID: deploymentID, instanceID: instanceID)
        let pipes = try [OutputPipe.make(), OutputPipe.make(), OutputPipe.make()]
        let (stdin, stdout, stderr) = (pipes[0], pipes[1], pipes[2])
        let process: SpawnedProcess
        do {
            process = try await runner.runSession(in: target, command: command, environment: environment,
                                                  stdio: [stdin.readEnd, stdout.writeEnd, stderr.writeEnd])
        } catch {
            for pipe in pipes { close(pipe.readEnd); close(pipe.writeEnd) }
            throw error
        }
        for fd in [stdin.readEnd, stdout.writeEnd, stderr.writeEnd] { close(fd) }

        let (output, continuation) = AsyncStream.makeStream(of: Session.Output.self)
        // Both output pipes end before the exit status goes out, so no output is lost behind it.
        let openStreams = Mutex(2)
        let (drained, drainedContinuation) = AsyncStream.makeStream(of: Void.self)
        let streamEnded: @Sendable () -> Void = {
            if openStreams.withLock({ $0 -= 1; return $0 == 0 }) { drainedContinuation.finish() }
        }
        for (fd, isError) in [(stdout.readEnd, false), (stderr.readEnd, true)] {
            do {
                try await PipeChannels.read(fd: fd, on: eventLoops, onData: { bytes in
                    continuation.yield(isError ? .stderr(bytes) : .stdout(bytes))
                }, onEnd: streamEnded)
            } catch {
                close(fd)
                streamEnded()
            }
        }
        let input = try await PipeChannels.write(fd: stdin.writeEnd, on: eventLoops)
        Task {
            let status = await process.waitForExit()
            for await _ in drained {}
            continuation.yield(.exit(status))
            continuation.finish()
            try? await input.close()
        }
        return Session(output: output, stdin: input)
    }
}
