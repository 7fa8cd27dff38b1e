import CSSH
import Glibc

/// The bytes in flight between the SSH channel and a running receive-pack, and which of its descriptors
/// the event loop watches.
final class PushSession {
    /// Most bytes held for receive-pack's stdin, and for its stdout or stderr: beyond that we stop reading
    /// the channel (the client's window closes) or the pipe (receive-pack blocks), so memory stays bounded.
    static let highWater = 256 * 1024

    let process: ReceivePackProcess
    let repository: String
    /// From the client, not yet taken by receive-pack.
    var toReceivePack = ByteQueue()
    var standardOutput = ByteQueue()
    var standardError = ByteQueue()
    /// The client sent end-of-file and everything before it was read.
    var clientFinishedSending = false
    var standardOutputOpen = true
    var standardErrorOpen = true
    /// The client left (channel closed or connection lost): output is discarded until receive-pack ends,
    /// so a deployment already running in the pre-receive hook is not cut short.
    var clientGone = false
    var exitedAt: ContinuousClock.Instant?
    /// Descriptors registered in the event loop, with their poll events.
    private var registered: [Int32: Int16] = [:]

    init(process: ReceivePackProcess, repository: String) {
        self.process = process
        self.repository = repository
    }

    /// Makes the event loop watch `fd` for `events` (0: not at all).
    func watch(_ fd: Int32, for events: Int16, in event: OpaquePointer) {
        guard fd >= 0, registered[fd] ?? 0 != events else { return }
        if registered[fd] != nil {
            ssh_event_remove_fd(event, fd)
            registered[fd] = nil
        }
        guard events != 0 else { return }
        // The callback only wakes the loop up; ``GitSSHConnection/pump(_:)`` does the I/O afterwards.
        if ssh_event_add_fd(event, fd, events, { _, _, _ in 0 }, nil) == SSH_OK {
            registered[fd] = events
        }
    }

    /// Closes receive-pack's stdin (it reads end-of-file), after the event loop stopped watching it.
    func closeStandardInput(in event: OpaquePointer) {
        watch(process.stdin, for: 0, in: event)
        process.closeStdin()
    }

    func unregisterAll(from event: OpaquePointer) {
        for fd in registered.keys { ssh_event_remove_fd(event, fd) }
        registered = [:]
    }
}
