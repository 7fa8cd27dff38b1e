import Cgroups
import Glibc

/// What to run in a sandbox and how to confine it.
public struct SandboxOptions: Sendable {
    public enum NetworkMode: Sendable, Equatable {
        /// Only a loopback interface: no way in or out.
        case loopback
        /// A veth on the platform bridge with an address of its own; egress NAT if allowed.
        case bridged(egress: Bool)
    }

    public struct Limits: Sendable, Equatable {
        public var memoryBytes: UInt64?
        public var cpuQuota: Double?
        public var pids: Int?

        public init(memoryBytes: UInt64? = nil, cpuQuota: Double? = nil, pids: Int? = nil) {
            self.memoryBytes = memoryBytes
            self.cpuQuota = cpuQuota
            self.pids = pids
        }
    }

    /// Names the sandbox's cgroup (`apps/app-<id>`) and its network interface: `[a-z0-9-]{1,64}`.
    public var id: String = "sbx-" + String(UInt32.random(in: .min ... .max), radix: 16)
    /// A build (`builds/build-<id>`) rather than an app instance (`apps/app-<id>`).
    public var isBuild = false
    public var command: [String]
    public var hostname: String
    public var uid: uid_t
    public var gid: gid_t
    public var appDirectory: String?
    public var appWritable: Bool
    public var dataDirectory: String?
    public var extraReadOnlyPaths: [String]
    public var environment: [String: String]
    public var workingDirectory = "/app"
    public var limits: Limits
    public var network: NetworkMode
    public var seccomp: Bool
    /// stdin, stdout, stderr of the sandbox; the caller's own by default.
    public var stdio: [Int32] = [0, 1, 2]
    /// fds that only the sandbox's init keeps open, at 3, 4, ... in the sandbox; the app never sees them.
    /// For live restore: put the read ends of the app's stdout and stderr pipes here, so the pipes outlive
    /// pomegranate (the app never gets EPIPE), and take them back after a restart with
    /// ``RunningSandbox/duplicateHeldFD(at:)`` or ``SandboxProcess/duplicateFD(pid:pidfd:targetFD:)`` (fd `3 + index`).
    public var heldFDs: [Int32] = []

    public init(command: [String], hostname: String, uid: uid_t, gid: gid_t, appDirectory: String? = nil, appWritable: Bool = false,
                dataDirectory: String? = nil, extraReadOnlyPaths: [String] = [], environment: [String: String] = [:],
                limits: Limits = .init(), network: NetworkMode = .loopback, seccomp: Bool = true) {
        self.command = command
        self.hostname = hostname
        self.uid = uid
        self.gid = gid
        self.appDirectory = appDirectory
        self.appWritable = appWritable
        self.dataDirectory = dataDirectory
        self.extraReadOnlyPaths = extraReadOnlyPaths
        self.environment = environment
        self.limits = limits
        self.network = network
        self.seccomp = seccomp
    }

    /// The environment every sandboxed process starts with, under the caller's additions.
    var fullEnvironment: [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/app", "LANG": "C.UTF-8", "HOSTNAME": hostname]
            .merging(environment) { $1 }
    }
}

extension SandboxOptions.Limits {
    /// The cgroup limits these stand for.
    var resourceLimits: ResourceLimits {
        ResourceLimits(memoryBytes: memoryBytes, cpuQuota: cpuQuota, pids: pids)
    }
}
