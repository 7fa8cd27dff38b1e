/// A listening socket handed to this process by systemd socket activation (or by `paastech dev`).
public struct ActivatedSocket: Sendable, Equatable {
    /// The file descriptor, 3 or above. The process owns it: hand it to a server, which closes it.
    public let fd: Int32
    /// The name from `FileDescriptorName=` of the socket unit (`LISTEN_FDNAMES`), or `"unknown"`.
    public let name: String

    /// - Parameters:
    ///   - fd: An open, listening socket.
    ///   - name: Its name, used to tell several sockets apart.
    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }
}
