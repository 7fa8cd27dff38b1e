import Systemd

/// The cgroups a process belongs to, parsed from `/proc/<pid>/cgroup`.
///
/// Lines are `hierarchy-id:controllers:path`: `0::/path` for cgroup v2, `4:memory:/path` or
/// `2:cpu,cpuacct:/path` for v1 hierarchies, `1:name=systemd:/path` for named ones (ignored).
struct ProcessCgroups: Sendable, Equatable {
    /// The cgroup v2 path, when the process is in a v2 hierarchy.
    var unified: String?
    /// The cgroup v1 path per controller.
    var legacy: [String: String]

    /// The current process's cgroups.
    static func current() throws(CgroupError) -> ProcessCgroups {
        let path = "/proc/self/cgroup"
        return try parse(SystemCall.readFile(path), path: path)
    }

    /// Parses the content of `/proc/<pid>/cgroup`; `path` is only for the error.
    static func parse(_ content: String, path: String) throws(CgroupError) -> ProcessCgroups {
        var result = ProcessCgroups(unified: nil, legacy: [:])
        for line in content.split(whereSeparator: \.isNewline) {
            // The path may itself contain ':', so split at the first two only.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else {
                throw .malformedFile(path: path, content: String(line))
            }
            let cgroupPath = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                result.unified = cgroupPath
                continue
            }
            for controller in fields[1].split(separator: ",") where !controller.hasPrefix("name=") {
                result.legacy[String(controller)] = cgroupPath
            }
        }
        return result
    }
}
