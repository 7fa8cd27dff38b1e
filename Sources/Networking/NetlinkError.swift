import Glibc

/// A netlink request the kernel refused, or that got no usable answer: which request, the errno, the
/// kernel's own explanation when it gives one, and how to fix it when the errno makes that clear.
public struct NetlinkError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The request, e.g. `RTM_NEWLINK: create veth pair pt-42 (host) / eth0 (namespace fd 7)`.
    public let request: String
    /// The positive errno: from the kernel's `NLMSG_ERROR`, or from `send`/`recv` on the socket.
    public let errno: Int32
    /// The kernel's extended-acknowledgement text (`NLMSGERR_ATTR_MSG`), such as "Unknown device type".
    public let kernelMessage: String?
    /// How to fix it, when known.
    public let hint: String?

    /// - Parameters:
    ///   - request: What was asked of the kernel.
    ///   - errno: The positive errno.
    ///   - kernelMessage: The kernel's explanation, if it sent one.
    ///   - hint: How to fix it, if known.
    public init(request: String, errno: Int32, kernelMessage: String? = nil, hint: String? = nil) {
        self.request = request
        self.errno = errno
        self.kernelMessage = kernelMessage
        self.hint = hint
    }

    public var description: String {
        var text = "netlink request \(request) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        if let kernelMessage, !kernelMessage.isEmpty { text += "; the kernel says: \(kernelMessage)" }
        if let hint { text += "; \(hint)" }
        return text
    }

    /// Hints that hold for any rtnetlink request.
    static func generalHint(_ errno: Int32) -> String? {
        switch errno {
        case EPERM, EACCES: return "changing network interfaces needs CAP_NET_ADMIN: run pomegranate as root"
        case EAGAIN: return "the kernel did not answer within \(NetlinkSocket.replyTimeoutSeconds) s"
        case EMSGSIZE, EBADMSG: return "this is a bug in the netlink code of PaaSTech; please report it"
        default: return nil
        }
    }
}
