import Glibc

/// Creates listening sockets the way systemd's `*.socket` units do, for `paastech dev`, which binds the
/// platform's sockets itself and hands them to each daemon (see ``SocketActivation``).
///
/// The returned fds have `FD_CLOEXEC` set; ``ChildProcess`` clears it on the copies it passes to a child.
public enum ListeningSocket {
    /// Binds a TCP socket with `SO_REUSEADDR` and starts listening.
    /// - Parameters:
    ///   - host: An IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `[::1]`, `0.0.0.0`, `::`); names are not resolved.
    ///     An IPv6 wildcard also accepts IPv4 unless the host disabled dual-stack (`net.ipv6.bindv6only`).
    ///   - port: The port; 0 lets the kernel choose (read it with `getsockname`).
    ///   - backlog: Queue length for connections not yet accepted (capped by `net.core.somaxconn`).
    /// - Returns: The listening socket; the caller owns it.
    public static func bindTCP(host: String, port: Int, backlog: Int32 = 1024) throws -> Int32 {
        guard (0...65535).contains(port) else { throw ListeningSocketError.invalidPort(port) }
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let networkPort = in_port_t(UInt16(port).bigEndian)

        var address4 = sockaddr_in()
        if inet_pton(AF_INET, host, &address4.sin_addr) == 1 {
            address4.sin_family = sa_family_t(AF_INET)
            address4.sin_port = networkPort
            return try withUnsafeBytes(of: &address4) { address in
                try makeTCPListener(family: AF_INET, address: address, endpoint: endpoint, backlog: backlog)
            }
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var address6 = sockaddr_in6()
        if inet_pton(AF_INET6, bareHost, &address6.sin6_addr) == 1 {
            address6.sin6_family = sa_family_t(AF_INET6)
            address6.sin6_port = networkPort
            return try withUnsafeBytes(of: &address6) { address in
                try makeTCPListener(family: AF_INET6, address: address, endpoint: "[\(bareHost)]:\(port)", backlog: backlog)
            }
        }
        throw ListeningSocketError.invalidHost(host)
    }

    /// Binds a Unix stream socket at `path`, sets its file mode and starts listening.
    ///
    /// A stale socket file at `path` (left by a process that died) is removed first; a socket that still
    /// accepts connections, or a file that is not a socket, is an error. Parent directories are not created.
    /// - Parameters:
    ///   - path: Where to create the socket.
    ///   - mode: Permissions of the socket file, e.g. `0o660`; connecting needs write permission.
    ///   - backlog: Queue length for connections not yet accepted (capped by `net.core.somaxconn`).
    /// - Returns: The listening socket; the caller owns it (and removes the file when done).
    public static func bindUnix(path: String, mode: mode_t, backlog: Int32 = 1024) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity, !pathBytes.contains(0) else {
            throw ListeningSocketError.pathTooLong(path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        try removeStaleSocket(at: path, address: address)

        let fd = try SystemCall.retryingInterrupts("socket(AF_UNIX) for \(path)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            _ = try withUnsafeBytes(of: &address) { bytes in
                try SystemCall.retryingInterrupts("bind(\(path))", hint: unixBindHint) {
                    bind(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
                }
            }
            // Before listen(): until then connections are refused, so the umask-derived mode is never usable.
            try SystemCall.retryingInterrupts("chmod(\(path), \(String(mode, radix: 8)))") { chmod(path, mode) }
            try SystemCall.retryingInterrupts("listen(\(path), \(backlog))") { listen(fd, backlog) }
        } catch {
            SystemCall.closeQuietly(fd)
            throw error
        }
        return fd
    }

    /// Whether `fd` is a Unix-domain socket (`SO_DOMAIN`), e.g. to tell unnamed activated sockets apart.
    /// False for other sockets, other files and closed fds.
    public static func isUnixDomain(_ fd: Int32) -> Bool {
        var domain: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let result = try? SystemCall.retryingInterrupts("getsockopt(\(fd), SO_DOMAIN)") {
            getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length)
        }
        return result != nil && domain == AF_UNIX
    }

    /// The local port of a TCP socket (`getsockname`), e.g. to tell apart the sockets of one socket unit
    /// that listens on several ports; nil for other sockets.
    public static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    private static func makeTCPListener(
        family: Int32,
        address: UnsafeRawBufferPointer,
        endpoint: String,
        backlog: Int32
    ) throws -> Int32 {
        let fd = try SystemCall.retryingInterrupts("socket() for \(endpoint)") {
            socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var enable: Int32 = 1
            try SystemCall.retryingInterrupts("setsockopt(SO_REUSEADDR) for \(endpoint)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, socklen_t(MemoryLayout<Int32>.size))
            }
            try SystemCall.retryingInterrupts("bind(\(endpoint))", hint: tcpBindHint) {
                bind(fd, address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
            }
            try SystemCall.retryingInterrupts("listen(\(endpoint), \(backlog))") { listen(fd, backlog) }
        } catch {
            SystemCall.closeQuietly(fd)
            throw error
        }
        return fd
    }

    /// Removes a socket file nobody accepts on. Connecting tells a live socket from a stale one.
    private static func removeStaleSocket(at path: String, address: sockaddr_un) throws {
        var status = stat()
        do {
            try SystemCall.retryingInterrupts("lstat(\(path))") { lstat(path, &status) }
        } catch {
            if error.errno == ENOENT { return }
            throw error
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw ListeningSocketError.notASocket(path) }

        let probe = try SystemCall.retryingInterrupts("socket(AF_UNIX) to probe \(path)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { SystemCall.closeQuietly(probe) }
        var address = address
        let connected = withUnsafeBytes(of: &address) { bytes in
            connect(probe, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
        }
        if connected == 0 { throw ListeningSocketError.socketInUse(path) }
        try SystemCall.retryingInterrupts("unlink(stale socket \(path))") { unlink(path) }
    }

    private static func tcpBindHint(_ errno: Int32) -> String? {
        switch errno {
        case EADDRINUSE: return "another process listens on this address; find it with `ss -ltnp`"
        case EACCES: return "ports below 1024 need CAP_NET_BIND_SERVICE; use a socket unit or a higher port"
        case EADDRNOTAVAIL: return "no local interface has this address"
        default: return nil
        }
    }

    private static func unixBindHint(_ errno: Int32) -> String? {
        switch errno {
        case ENOENT: return "the parent directory does not exist; create it first"
        case EACCES: return "no write permission on the parent directory"
        default: return nil
        }
    }
}
