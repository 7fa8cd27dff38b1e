import DevPlatform
import Foundation
import Postgres
import Testing

/// A configuration file for a daemon started by hand against a fresh test database.
func writeConfiguration(conninfo: String, runDirectory: URL, port: Int) throws -> URL {
    let file = runDirectory.appendingPathComponent("paastech.toml")
    let escaped = conninfo.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    try """
        [paths]
        run_dir = "\(runDirectory.path)"
        state_dir = "\(runDirectory.path)"
        [database]
        conninfo = "\(escaped)"
        [api]
        listen = "127.0.0.1:\(port)"
        [mail]
        spool_dir = "\(runDirectory.path)"
        """.write(to: file, atomically: true, encoding: .utf8)
    return file
}

func temporaryDirectory(_ name: String) throws -> URL {
    let url = URL(fileURLWithPath: "/tmp/paastech-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("The paastech binary", .serialized)
struct BinaryTests {
    @Test("socket activation: `systemd-socket-activate -l 127.0.0.1:PORT paastech api` serves /v1/health")
    func socketActivated() async throws {
        let binary = try Binary.path()
        let directory = try temporaryDirectory("activate")
        let port = try freePort()
        let config = try writeConfiguration(conninfo: try await PostgresCluster.shared().conninfo, runDirectory: directory,
                                            port: try freePort())
        let notifySocket = directory.appendingPathComponent("notify.sock").path
        let notifications = try DatagramListener(path: notifySocket)
        defer { notifications.close() }
        let daemon = try RunningProcess("/usr/bin/systemd-socket-activate",
                                        ["-l", "127.0.0.1:\(port)", "-E", "NOTIFY_SOCKET=\(notifySocket)",
                                         binary, "api", "--config", config.path])
        defer { daemon.interrupt() }
        // The socket is bound by systemd-socket-activate; the API starts on the first connection.
        let healthy = try await eventually { try await curl(["http://127.0.0.1:\(port)/v1/health"]).0 == 200 }
        #expect(healthy, "API log:\n\(daemon.log)")
        let (_, body) = try await curl(["http://127.0.0.1:\(port)/v1/health"])
        #expect(json(body)["database"] as? String == "ok")
        // It adopted the activated socket instead of binding [api] listen.
        #expect(try await curl(["http://127.0.0.1:\(port)/v1/openapi.json"]).0 == 200)
        // Type=notify: READY=1 once serving.
        let sent = notifications.receiveAll().joined(separator: "\n")
        #expect(sent.contains("READY=1"), "notifications: \(sent)")
        daemon.interrupt()
        #expect(await daemon.waitForExit(timeout: .seconds(20)) == 0, "SIGINT shuts the API down cleanly")
        #expect(notifications.receiveAll().joined().contains("STOPPING=1"))
    }

    @Test("admin create-user and list-users, and migrate is idempotent")
    func adminCommands() async throws {
        let binary = try Binary.path()
        let directory = try temporaryDirectory("admin")
        let config = try writeConfiguration(conninfo: try await PostgresCluster.shared().conninfo, runDirectory: directory,
                                            port: try freePort())
        let (migrated, migrateOutput) = try await run(binary, ["migrate", "--config", config.path])
        #expect(migrated == 0, "\(migrateOutput)")
        #expect(try await run(binary, ["migrate", "--config", config.path]).1.contains("up to date"))
        let (created, output) = try await run(binary, ["admin", "create-user", "--username", "ops", "--email", "ops@example.com",
                                                 "--admin", "--config", config.path])
        #expect(created == 0, "\(output)")
        #expect(output.contains("password: "))
        let (duplicate, duplicateOutput) = try await run(binary, ["admin", "create-user", "--username", "ops", "--email", "x@example.com",
                                                            "--config", config.path])
        #expect(duplicate != 0)
        #expect(duplicateOutput.contains("username is taken"), "\(duplicateOutput)")
        let (listed, list) = try await run(binary, ["admin", "list-users", "--config", config.path])
        #expect(listed == 0)
        #expect(list.contains("ops") && list.contains("admin"))
    }

    @Test("a bad configuration file stops start-up naming the file, line and key")
    func badConfiguration() async throws {
        let binary = try Binary.path()
        let directory = try temporaryDirectory("badconfig")
        let file = directory.appendingPathComponent("paastech.toml")
        try "[api]\n\nlisten = 8081\n".write(to: file, atomically: true, encoding: .utf8)
        let (status, output) = try await run(binary, ["migrate", "--config", file.path])
        #expect(status != 0)
        #expect(output.contains("\(file.path):3"), "\(output)")
        #expect(output.contains("api.listen"), "\(output)")
    }

    /// systemd starts services with a soft RLIMIT_NOFILE of 1024, under which placing a sandbox's descriptors
    /// once failed (F_DUPFD at a fixed 1024: EINVAL), so no app started under pomegranate.service.
    @Test("a sandbox starts under a low RLIMIT_NOFILE, as systemd gives services")
    func sandboxUnderLowFileLimit() async throws {
        let (status, output) = try await run("/usr/bin/prlimit", ["--nofile=64:", try Binary.path(), "sandbox", "run", "--",
                                                                 "/bin/sh", "-c", "echo started; ulimit -n"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("started\n64"), "\(output)")
    }

    @Test("with JOURNAL_STREAM set, log records go to journald with structured fields")
    func journald() async throws {
        let binary = try Binary.path()
        let socketPath = "/run/systemd/journal/socket"
        // No journald on CI machines without systemd as PID 1: stand in for it with a datagram socket.
        guard !FileManager.default.fileExists(atPath: socketPath) else {
            let directory = try temporaryDirectory("journal")
            let config = try writeConfiguration(conninfo: try await PostgresCluster.shared().conninfo, runDirectory: directory, port: try freePort())
            _ = try await run("/bin/sh", ["-c", "JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) exec \"$0\" migrate --config \"$1\"",
                                    binary, config.path])
            let (_, log) = try await run("/usr/bin/journalctl", ["-t", "paastech-migrate", "-o", "verbose", "-n", "20", "--no-pager"])
            #expect(log.contains("SYSLOG_IDENTIFIER=paastech-migrate"))
            return
        }
        try FileManager.default.createDirectory(atPath: "/run/systemd/journal", withIntermediateDirectories: true)
        let journal = try DatagramListener(path: socketPath)
        defer { journal.close(); unlink(socketPath) }
        let directory = try temporaryDirectory("journal")
        let config = try writeConfiguration(conninfo: try await PostgresCluster.shared().conninfo, runDirectory: directory, port: try freePort())
        // The child's stderr is the pipe `run` gives it; JOURNAL_STREAM names that pipe, as systemd would.
        let (status, output) = try await run("/bin/sh", ["-c", "JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) exec \"$0\" migrate --config \"$1\"",
                                                    binary, config.path])
        #expect(status == 0, "\(output)")
        let records = journal.receiveAll()
        #expect(records.contains { $0.contains("SYSLOG_IDENTIFIER=paastech-migrate") && $0.contains("PRIORITY=") && $0.contains("MESSAGE=") },
                "records: \(records)")
        #expect(!output.contains("applied migration"), "records went to journald, not stderr: \(output)")
    }
}

/// A Unix datagram socket standing in for journald's.
final class DatagramListener {
    let fd: Int32

    init(path: String) throws {
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count - 1))) }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Every datagram received until the socket is quiet.
    func receiveAll() -> [String] {
        var records: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return records }
            records.append(String(decoding: buffer[..<count], as: UTF8.self))
        }
    }

    func close() { Glibc.close(fd) }
}
