import Glibc
import Synchronization
import Systemd

/// An open `AF_NETLINK`/`NETLINK_ROUTE` socket: the way to configure links, addresses and routes without
/// running ip(8).
///
/// Open one per network namespace and keep it: the host's at start-up, an instance's with
/// ``inNamespace(fd:)``. Requests on one socket are serialised (each waits for its acknowledgements), so
/// it may be shared between threads and tasks. Requests block for the kernel's answer, which takes
/// microseconds; a kernel that does not answer within ``replyTimeoutSeconds`` fails the request.
public final class NetlinkSocket: Sendable {
    /// How long a request waits for the kernel's answer before failing with `EAGAIN`.
    public static let replyTimeoutSeconds = 5

    /// The socket's file descriptor, closed when this object goes away.
    let descriptor: Int32
    private let state: Mutex<State>

    private struct State {
        var nextSequence: UInt32 = 1
        /// Reused for every reply; 32 KiB holds any answer to the requests this module sends.
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)

        mutating func takeSequence() -> UInt32 {
            defer { nextSequence = nextSequence == UInt32.max ? 1 : nextSequence + 1 }
            return nextSequence
        }
    }

    /// Opens a socket in the calling thread's network namespace (the host's, for pomegranate).
    public convenience init() throws(SystemCallError) {
        self.init(descriptor: try Self.openDescriptor())
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        self.state = Mutex(State())
    }

    deinit {
        SystemCall.closeQuietly(descriptor)
    }

    /// Opens a socket inside the network namespace `namespaceFD` (from `/proc/<pid>/ns/net` or
    /// ``NetworkNamespace/open(pid:)``): a short-lived thread enters the namespace, creates the socket and
    /// exits. The socket stays in that namespace and is usable from any thread; the caller keeps
    /// `namespaceFD` and may close it afterwards.
    public static func inNamespace(fd namespaceFD: Int32) throws(SystemCallError) -> NetlinkSocket {
        NetlinkSocket(descriptor: try NetworkNamespace.run(in: namespaceFD) { () throws(SystemCallError) in
            try openDescriptor()
        })
    }

    private static func openDescriptor() throws(SystemCallError) -> Int32 {
        let fd = try SystemCall.retryingInterrupts("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), RouteNetlink.protocolNumber)
        }
        do throws(SystemCallError) {
            // Errors carry the kernel's explanation and only the request's header, not all of it.
            try setOption(fd, RouteNetlink.socketLevel, RouteNetlink.extendedAcknowledgementOption, Int32(1), "NETLINK_EXT_ACK")
            try setOption(fd, RouteNetlink.socketLevel, RouteNetlink.capAcknowledgementOption, Int32(1), "NETLINK_CAP_ACK")
            try setOption(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(tv_sec: replyTimeoutSeconds, tv_usec: 0), "SO_RCVTIMEO")
            var address = NetlinkSocketAddress()  // port id 0: the kernel picks a unique one
            try SystemCall.retryingInterrupts("bind(AF_NETLINK socket)") {
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<NetlinkSocketAddress>.size))
                    }
                }
            }
        } catch {
            SystemCall.closeQuietly(fd)
            throw error
        }
        return fd
    }

    private static func setOption<Value: BitwiseCopyable>(
        _ fd: Int32, _ level: Int32, _ name: Int32, _ value: Value, _ label: String
    ) throws(SystemCallError) {
        try SystemCall.retryingInterrupts("setsockopt(netlink socket, \(label))") {
            withUnsafeBytes(of: value) { setsockopt(fd, level, name, $0.baseAddress, socklen_t($0.count)) }
        }
    }

    /// Sends `requests` in one datagram, each with `NLM_F_ACK`, and waits for every acknowledgement.
    ///
    /// The kernel handles them in order and answers each even when an earlier one failed, so the socket is
    /// left with nothing unread. Throws the error of the first request that failed.
    /// - Returns: For each request, the data message the kernel sent before its acknowledgement (the answer
    ///   to a `RTM_GET...` request), or nil.
    @discardableResult
    func perform(_ requests: [NetlinkRequest]) throws(NetlinkError) -> [NetlinkMessage?] {
        guard !requests.isEmpty else { return [] }
        return try state.withLock { (state: inout State) throws(NetlinkError) -> [NetlinkMessage?] in
            var datagram: [UInt8] = []
            var indexBySequence: [UInt32: Int] = [:]
            for (index, request) in requests.enumerated() {
                var message = request.message
                message.flags |= RouteNetlink.Flag.acknowledge
                let sequence = state.takeSequence()
                indexBySequence[sequence] = index
                datagram += message.finished(sequence: sequence)
            }
            try send(datagram, naming: requests)

            var outcomes = [(errno: Int32, kernelMessage: String?)?](repeating: nil, count: requests.count)
            var replies = [NetlinkMessage?](repeating: nil, count: requests.count)
            var unanswered = requests.count
            while unanswered > 0 {
                let pending = requests[outcomes.firstIndex { $0 == nil } ?? 0]
                for message in try receive(into: &state.buffer, waitingFor: pending) {
                    // Answers to requests that timed out earlier have other sequence numbers.
                    guard let index = indexBySequence[message.sequence] else { continue }
                    if let errno = message.acknowledgedError {
                        if outcomes[index] == nil { unanswered -= 1 }
                        outcomes[index] = (errno, message.kernelErrorMessage)
                    } else if message.type != RouteNetlink.MessageType.done {
                        // Copied so that the reply does not keep the receive buffer shared.
                        replies[index] = NetlinkMessage(type: message.type, flags: message.flags,
                                                        sequence: message.sequence, payload: ArraySlice(Array(message.payload)))
                    }
                }
            }
            for (index, outcome) in outcomes.enumerated() {
                if let outcome, outcome.errno != 0 {
                    throw requests[index].error(errno: outcome.errno, kernelMessage: outcome.kernelMessage)
                }
            }
            return replies
        }
    }

    /// Sends one request and waits for its acknowledgement.
    func perform(_ request: NetlinkRequest) throws(NetlinkError) {
        try perform([request])
    }

    /// Sends a `RTM_GET...` request and returns the kernel's answer.
    func query(_ request: NetlinkRequest) throws(NetlinkError) -> NetlinkMessage {
        guard let reply = try perform([request])[0] else {
            throw request.error(errno: EBADMSG, problem: "the kernel acknowledged it without an answer; this is a bug in PaaSTech's netlink code")
        }
        return reply
    }

    private func send(_ datagram: [UInt8], naming requests: [NetlinkRequest]) throws(NetlinkError) {
        let sent: Int
        do throws(SystemCallError) {
            sent = try SystemCall.retryingInterrupts("send") {
                datagram.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            }
        } catch {
            throw requests[0].error(errno: error.errno)
        }
        // A netlink datagram is sent whole or not at all.
        guard sent == datagram.count else { throw requests[0].error(errno: EMSGSIZE) }
    }

    private func receive(into buffer: inout [UInt8], waitingFor request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
        let received: Int
        do throws(SystemCallError) {
            // MSG_TRUNC: returns the datagram's real length, so a reply too large for the buffer is noticed.
            received = try SystemCall.retryingInterrupts("recv") {
                buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
            }
        } catch {
            throw request.error(errno: error.errno)
        }
        guard received <= buffer.count else {
            throw request.error(
                errno: EMSGSIZE, problem: "a reply of \(received) bytes is larger than the receive buffer; this is a bug in PaaSTech's netlink code")
        }
        guard let messages = NetlinkMessage.split(buffer[0..<received]) else {
            throw request.error(errno: EBADMSG, problem: "a reply has an inconsistent length; this is a bug in PaaSTech's netlink code")
        }
        return messages
    }
}

/// Layout of `struct sockaddr_nl` (12 bytes), which Swift's Glibc module does not expose.
private struct NetlinkSocketAddress {
    var family = sa_family_t(AF_NETLINK)
    var padding: UInt16 = 0
    var portID: UInt32 = 0
    var groups: UInt32 = 0
}
