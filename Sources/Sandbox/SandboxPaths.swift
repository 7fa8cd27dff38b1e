import Foundation

/// Where the sandbox machinery finds its pieces on the host.
public enum SandboxPaths {
    /// paastech-init: next to the running binary (a build tree), else where the package installs it.
    /// Next to the binary, `paastech-init-tiny` (the same init.c built by `make` without libc, 9 KB
    /// instead of SwiftPM's 9.5 MB with glibc and the Swift runtime linked in) is preferred: every sandbox
    /// execs it, and it starts about 0.3 ms sooner.
    public static func initExecutable() -> String? {
        let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map {
            URL(fileURLWithPath: $0).deletingLastPathComponent()
        }
        let candidates: [String?] = [directory?.appendingPathComponent("paastech-init-tiny").path,
                          directory?.appendingPathComponent("paastech-init").path,
                          "/usr/lib/paastech/paastech-init"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Resolves a command name the way a shell in the sandbox would: absolute paths as they are,
    /// names through the sandbox's PATH, which only contains directories bound from the host's /usr.
    public static func resolve(command: String, searchPath: [String] = ["/usr/local/bin", "/usr/bin", "/usr/sbin"],
                               extraDirectories: [String] = []) -> String? {
        if command.hasPrefix("/") { return command }
        guard !command.contains("/") else { return nil }
        return (extraDirectories + searchPath).map { "\($0)/\(command)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The sandbox's resolv.conf: the host's, unless it points at a loopback resolver the
    /// sandbox cannot reach, in which case public resolvers are not guessed: an empty file says so.
    public static func resolvConf() -> String {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return "" }
        let servers = text.split(separator: "\n").filter { $0.hasPrefix("nameserver") }
        let reachable = servers.filter { !$0.contains(" 127.") && !$0.contains(" ::1") }
        return reachable.isEmpty ? "# the host uses a loopback resolver, unreachable from sandboxes\n"
            : reachable.joined(separator: "\n") + "\n"
    }
}
