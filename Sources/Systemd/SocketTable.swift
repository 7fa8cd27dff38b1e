/// The kernel's TCP socket tables (`/proc/<pid>/net/tcp` and `tcp6`, of that process's network namespace).
public enum SocketTable {
    /// Rows of a `/proc/net/tcp`-format table whose local port is `port` and whose state is `01`
    /// (ESTABLISHED): connections to a server on that port. Rows: `sl local_address rem_address st ...`,
    /// addresses as `HEXIP:HEXPORT`.
    public static func establishedConnections(toPort port: Int, in table: String) -> Int {
        let wantedPort = String(port, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - wantedPort.count)) + wantedPort
        var count = 0
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, let colon = fields[1].lastIndex(of: ":") else { continue }
            if fields[1][fields[1].index(after: colon)...] == padded && fields[3] == "01" { count += 1 }
        }
        return count
    }
}
