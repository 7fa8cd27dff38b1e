import Foundation
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
            total += count(inTable: text, port: port)
        }
        return readAny ? total : nil
    }

    /// Counts the rows of a `/proc/net/tcp`-format table whose local port is `port` and whose state is
    /// `01` (ESTABLISHED). Rows: `sl local_address rem_address st ...`, addresses as `HEXIP:HEXPORT`.
    static func count(inTable text: String, port: Int) -> Int {
        let wantedPort = String(format: "%04X", port)
        var count = 0
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, let colon = fields[1].lastIndex(of: ":") else { continue }
            if fields[1][fields[1].index(after: colon)...] == wantedPort && fields[3] == "01" { count += 1 }
        }
        return count
    }
}
