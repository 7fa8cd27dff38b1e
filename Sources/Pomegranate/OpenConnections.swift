import Systemd

/// Open TCP connections to an instance's port, read from its own network namespace's socket tables
/// (`/proc/<pid>/net/tcp` and `tcp6` of the instance's init). After a deploy switches routes, the old
/// instances run until this is zero: what is still open is a request in flight, a WebSocket or a stream
/// (the edge closes its idle keep-alive connections to instances it no longer routes to).
enum OpenConnections {
    /// The connections to `port` in `ESTABLISHED` state, or nil if the tables cannot be read (the instance
    /// has exited).
    static func count(pid: Int32, port: Int) -> Int? {
        var total = 0
        var readAny = false
        for table in ["tcp", "tcp6"] {
            // Read whole (KernelFile): a busy instance's table is longer than the 4 KiB Foundation would read.
            guard let text = try? KernelFile.read("/proc/\(pid)/net/\(table)") else { continue }
            readAny = true
            total += SocketTable.establishedConnections(toPort: port, in: text)
        }
        return readAny ? total : nil
    }
}
