extension PlatformConfiguration {
    /// `[pomegranate]`: the agent that runs builds and app instances in sandboxes.
    public struct Pomegranate: Sendable, Equatable {
        /// `uid_first`: the first uid (and gid) handed to projects; each project gets its own, once.
        public var uidFirst = 200_000
        /// `uid_count`: how many uids the range holds.
        public var uidCount = 65_536
        /// `bridge`: the bridge every sandbox's veth joins.
        public var bridge = "paastech0"
        /// `subnet`: the platform subnet on the bridge (the host takes its first address).
        public var subnet = "10.88.0.0/16"
        /// `firewall_table`: the nftables table (`inet <name>`) pomegranate owns; only a second platform
        /// on the same host (a test run beside a real one) needs another.
        public var firewallTable = "paastech"
        /// `cgroup_subtree`: on cgroup v1 hosts, pomegranate's directory in each controller; like
        /// `firewall_table`, only a second platform on the same host needs another.
        public var cgroupSubtree = "paastech"
        /// `read_only_paths`: host paths bound read-only into every sandbox besides `/usr` (e.g. `/opt/swift`).
        public var readOnlyPaths: [String] = []
        /// `log_max_kib`: the on-disk log kept per deployment (instances and builds), in KiB.
        public var logMaxKiB = 8192
        /// `stop_timeout_seconds`: SIGTERM to SIGKILL when an instance is stopped.
        public var stopTimeoutSeconds = 10
        /// `drain_timeout_seconds`: after a deploy switches routes, the previous release's instances keep running
        /// until their open connections (requests in flight, WebSockets, streams) end, at most this long; then
        /// they are stopped.
        public var drainTimeoutSeconds = 60
        /// `restart_backoff_max_seconds`: the longest wait before restarting a crashing instance.
        public var restartBackoffMaxSeconds = 60
        /// `instance_pids`: the process limit of an app instance unless its deployment says otherwise.
        public var instancePids = 512
        /// `build_timeout_seconds`: a build running longer is killed.
        public var buildTimeoutSeconds = 1800
        /// `build_memory_mib`: the memory limit of a build unless its deployment's is larger.
        public var buildMemoryMiB = 2048
        /// `build_pids`: the process limit of a build.
        public var buildPids = 2048

        /// Creates the default settings.
        public init() {}

        /// The uids projects may get.
        public var uidRange: ClosedRange<Int> { uidFirst...(uidFirst + uidCount - 1) }
    }
}

extension PlatformConfiguration.Pomegranate: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("uid_first", \.uidFirst, .integer(in: 1000...2_000_000_000)),
        ConfigurationKey("uid_count", \.uidCount, .integer(in: 1...1_000_000)),
        ConfigurationKey("bridge", \.bridge, .interfaceName),
        ConfigurationKey("subnet", \.subnet, .ipv4Subnet),
        ConfigurationKey("firewall_table", \.firewallTable, .nftablesName),
        ConfigurationKey("cgroup_subtree", \.cgroupSubtree, .cgroupDirectoryName),
        ConfigurationKey("read_only_paths", \.readOnlyPaths,
                         .strings(like: "[\"/opt/swift\"]", elementProblem: ConfigurationSyntax.absolutePathProblem)),
        ConfigurationKey("log_max_kib", \.logMaxKiB, .integer(in: 64...1_048_576)),
        ConfigurationKey("stop_timeout_seconds", \.stopTimeoutSeconds, .integer(in: 1...3600)),
        ConfigurationKey("drain_timeout_seconds", \.drainTimeoutSeconds, .integer(in: 0...86400)),
        ConfigurationKey("restart_backoff_max_seconds", \.restartBackoffMaxSeconds, .integer(in: 1...3600)),
        ConfigurationKey("instance_pids", \.instancePids, .integer(in: 16...1_000_000)),
        ConfigurationKey("build_timeout_seconds", \.buildTimeoutSeconds, .integer(in: 10...86400)),
        ConfigurationKey("build_memory_mib", \.buildMemoryMiB, .integer(in: 64...1_048_576)),
        ConfigurationKey("build_pids", \.buildPids, .integer(in: 16...1_000_000)),
    ]
}

extension ConfigurationValue where Value == String {
    /// A network interface name: 1 to 15 of `a-z 0-9 -`.
    static var interfaceName: Self {
        ConfigurationValue(expecting: "an interface name string like \"paastech0\"", decode: { $0.string }, problem: { name in
            let allowed = name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
            return (1...15).contains(name.utf8.count) && allowed
                ? nil : "\"\(name)\" is not an interface name: use 1 to 15 of a-z, 0-9 and -"
        })
    }

    /// A cgroup directory name as the Cgroups target accepts it: 1 to 64 of `a-z 0-9 -`.
    static var cgroupDirectoryName: Self {
        ConfigurationValue(expecting: "a directory name string like \"paastech\"", decode: { $0.string }, problem: { name in
            let valid = (1...64).contains(name.utf8.count)
                && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
            return valid ? nil : "\"\(name)\" is not a cgroup directory name: use 1 to 64 of a-z, 0-9 and -"
        })
    }

    /// An nftables table name: 1 to 32 of `a-z 0-9 _`, starting with a letter.
    static var nftablesName: Self {
        ConfigurationValue(expecting: "a table name string like \"paastech\"", decode: { $0.string }, problem: { name in
            let valid = (1...32).contains(name.utf8.count) && name.utf8.first.map { (0x61...0x7a).contains($0) } == true
                && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
            return valid ? nil : "\"\(name)\" is not a table name: use 1 to 32 of a-z, 0-9 and _, starting with a letter"
        })
    }

    /// An IPv4 subnet in CIDR notation, prefix 8 to 28 (room for the host and instances).
    static var ipv4Subnet: Self {
        ConfigurationValue(expecting: "a subnet string like \"10.88.0.0/16\"", decode: { $0.string }, problem: { text in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            let octets = parts.first.map { $0.split(separator: ".", omittingEmptySubsequences: false) } ?? []
            guard parts.count == 2, let prefix = Int(parts[1]), (8...28).contains(prefix), octets.count == 4,
                  octets.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) else {
                return "\"\(text)\" is not an IPv4 subnet like \"10.88.0.0/16\" (prefix 8 to 28)"
            }
            return nil
        })
    }
}
