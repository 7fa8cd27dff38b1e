import CSSH
import Glibc

/// Moving a push's bytes, between two polls of the event loop: client → receive-pack's stdin, its stdout →
/// the channel, its stderr → the channel's extended data; then, once it has ended and all its output was
/// sent, its exit status.
extension GitSSHConnection {
    private static let chunk = 32 * 1024
    /// After receive-pack exits, how long its pipes may stay open (held by a process it left behind).
    private static let outputGraceAfterExit: Duration = .seconds(2)

    func pump(_ push: PushSession) {
        guard let channel, let event else { return }
        if !push.clientGone && (clientHungUp || channelClosedByClient) { clientLeft(push, event: event) }
        if !push.clientGone {
            guard readFromClient(push, channel: channel) else { return }  // over max_push_mib: stopped
        }
        writeToReceivePack(push, event: event)
        readOutput(of: push)
        if push.clientGone {
            push.standardOutput.removeAll()
            push.standardError.removeAll()
        } else {
            sendOutput(push, channel: channel)
        }
        if push.process.pollExit() != nil, push.exitedAt == nil { push.exitedAt = .now }
        if let exit = push.process.exit, let exitedAt = push.exitedAt,
           (!push.standardOutputOpen && !push.standardErrorOpen) || ContinuousClock.now - exitedAt > Self.outputGraceAfterExit,
           push.standardOutput.isEmpty, push.standardError.isEmpty {
            report.outcome = .accepted(exitStatus: exit.status)
            push.unregisterAll(from: event)
            closeChannel(exitStatus: exit.status)
            return
        }
        let wantsOutput = Int16(POLLIN)
        push.watch(push.process.stdout, for: push.standardOutputOpen && push.standardOutput.count < PushSession.highWater ? wantsOutput : 0, in: event)
        push.watch(push.process.stderr, for: push.standardErrorOpen && push.standardError.count < PushSession.highWater ? wantsOutput : 0, in: event)
        push.watch(push.process.stdin, for: push.toReceivePack.isEmpty ? 0 : Int16(POLLOUT), in: event)
    }

    /// Ends the push because of a limit or a shutdown: kills receive-pack and tells the client why.
    func stopPush(_ refusal: Refusal) {
        guard let push else { return }
        push.process.killAll()
        if let event { push.unregisterAll(from: event) }
        push.toReceivePack.removeAll()
        push.standardOutput.removeAll()
        push.standardError.removeAll()
        refuseOnChannel(refusal)
    }

    private func clientLeft(_ push: PushSession, event: OpaquePointer) {
        push.clientGone = true
        push.toReceivePack.removeAll()
        push.closeStandardInput(in: event)
        report.notes.append("client-left-during-push")
    }

    /// Reads what the client sent while receive-pack can take more, counting it against `max_push_mib`.
    /// - Returns: False when the push went over the limit and was stopped.
    private func readFromClient(_ push: PushSession, channel: ssh_channel) -> Bool {
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        while !push.clientFinishedSending, push.toReceivePack.count < PushSession.highWater {
            let count = ssh_channel_read_nonblocking(channel, &buffer, UInt32(buffer.count), 0)
            if count > 0 {
                report.bytesReceived += Int(count)
                if report.bytesReceived > settings.maximumPushBytes {
                    stopPush(.pushTooLarge(limitMiB: settings.limits.maxPushMiB))
                    return false
                }
                // Once receive-pack closed its stdin, the rest is read (to keep the window open) and dropped.
                if push.process.stdin >= 0 {
                    buffer.withUnsafeBytes { push.toReceivePack.append(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
                }
            } else if count == SSH_EOF {
                push.clientFinishedSending = true
            } else {
                break  // 0: nothing buffered now; SSH_ERROR: the connection is gone, seen on the next round
            }
        }
        return true
    }

    private func writeToReceivePack(_ push: PushSession, event: OpaquePointer) {
        let stdin = push.process.stdin
        guard stdin >= 0 else { return }
        var failed = false
        while !push.toReceivePack.isEmpty, !failed {
            var wouldBlock = false
            push.toReceivePack.consume(upTo: Self.chunk) { bytes in
                let written = send(stdin, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                if written >= 0 { return written }
                switch errno {
                case EINTR: break
                case EAGAIN: wouldBlock = true
                default: failed = true  // EPIPE: receive-pack stopped reading (it failed, or has all it wants)
                }
                return 0
            }
            if wouldBlock { break }
        }
        if failed {
            push.toReceivePack.removeAll()
            push.closeStandardInput(in: event)
        } else if push.clientFinishedSending && push.toReceivePack.isEmpty {
            push.closeStandardInput(in: event)
        }
    }

    /// Takes what receive-pack wrote, up to the high-water mark per stream.
    private func readOutput(of push: PushSession) {
        if push.standardOutputOpen {
            push.standardOutputOpen = Self.drain(push.process.stdout, into: &push.standardOutput)
        }
        if push.standardErrorOpen {
            push.standardErrorOpen = Self.drain(push.process.stderr, into: &push.standardError)
        }
    }

    /// Reads `fd` into `queue` until it would block or the queue is full. False at end-of-file or on error.
    private static func drain(_ fd: Int32, into queue: inout ByteQueue) -> Bool {
        var buffer = [UInt8](repeating: 0, count: chunk)
        while queue.count < PushSession.highWater {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                buffer.withUnsafeBytes { queue.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else if count == 0 {
                return false
            } else if errno == EINTR {
                continue
            } else {
                return errno == EAGAIN
            }
        }
        return true
    }

    /// Sends queued output as far as the client's window allows, so that no write blocks; the rest goes
    /// when the client grows the window (which wakes the event loop).
    private func sendOutput(_ push: PushSession, channel: ssh_channel) {
        for isStderr in [false, true] {
            while true {
                let window = Int(ssh_channel_window_size(channel))
                let queued = isStderr ? push.standardError.count : push.standardOutput.count
                guard window > 0, queued > 0 else { break }
                var sent: Int32 = 0
                let write = { (bytes: UnsafeRawBufferPointer) -> Int in
                    sent = isStderr
                        ? ssh_channel_write_stderr(channel, bytes.baseAddress, UInt32(bytes.count))
                        : ssh_channel_write(channel, bytes.baseAddress, UInt32(bytes.count))
                    return Int(max(sent, 0))
                }
                if isStderr {
                    push.standardError.consume(upTo: min(window, Self.chunk), write)
                } else {
                    push.standardOutput.consume(upTo: min(window, Self.chunk), write)
                }
                if sent <= 0 { break }
            }
        }
    }
}
