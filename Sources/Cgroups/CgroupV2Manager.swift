import Glibc
import Logging
import Systemd

/// The cgroup v2 backend: works only below the cgroup systemd delegated to us (`Delegate=yes`).
///
/// Layout below our own cgroup `<own>`:
/// ```
/// <own>/supervisor/        this process (inner cgroups may hold no processes)
/// <own>/apps/app-<id>/     one leaf per app instance
/// <own>/builds/build-<id>/ one leaf per build
/// ```
public struct CgroupV2Manager: CgroupManager {
    /// The cgroup2 mount, `/sys/fs/cgroup`.
    public let root: String
    /// Our delegated cgroup, relative to `root`, e.g. `/system.slice/pomegranate.service`.
    public let ownCgroup: String
    private let logger: Logger

    public var mode: CgroupMode { .unified }

    /// Controllers enabled for our subtree; `io` only when the kernel offers it.
    static let wantedControllers = ["cpu", "memory", "pids", "io"]
    /// Controllers without which the limits cannot be enforced.
    static let requiredControllers = ["cpu", "memory", "pids"]
    /// The leaf this process moves into.
    static let supervisorDirectory = "supervisor"

    /// A manager for an explicit tree, e.g. a test directory standing in for a cgroup2 mount.
    /// - Parameters:
    ///   - root: The cgroup2 mount point.
    ///   - ownCgroup: Our delegated cgroup relative to `root`.
    ///   - logger: For notes about the setup.
    public init(root: String = CgroupMode.defaultRoot, ownCgroup: String, logger: Logger) {
        self.root = root
        self.ownCgroup = ownCgroup
        self.logger = logger
    }

    /// A manager for this process's own cgroup, read from `/proc/self/cgroup`. When we already sit in
    /// `<own>/supervisor` (``prepare()`` ran before), `<own>` is used.
    public init(root: String = CgroupMode.defaultRoot, logger: Logger) throws(CgroupError) {
        let path = "/proc/self/cgroup"
        guard let own = try ProcessCgroups.current().unified else {
            throw .malformedFile(path: path, content: "no cgroup v2 line (0::/path)")
        }
        self.init(root: root, ownCgroup: Self.delegatedCgroup(containing: own), logger: logger)
    }

    /// `own` without a trailing `/supervisor`.
    static func delegatedCgroup(containing own: String) -> String {
        let suffix = "/" + supervisorDirectory
        guard own.hasSuffix(suffix) else { return own }
        let parent = String(own.dropLast(suffix.count))
        return parent.isEmpty ? "/" : parent
    }

    /// The absolute path of our delegated cgroup.
    var ownPath: String { joinPath(root, ownCgroup) }

    func leafPath(_ name: CgroupName) -> String { joinPath(ownPath, name.relativePath) }

    public func prepare() throws(CgroupError) {
        let own = try CgroupDirectory(opening: ownPath)
        let available = Set(try own.read("cgroup.controllers").split(whereSeparator: { $0 == " " || $0.isNewline }).map(String.init))
        if let missing = Self.requiredControllers.first(where: { !available.contains($0) }) {
            throw .controllerMissing(missing, path: joinPath(ownPath, "cgroup.controllers"))
        }
        let enable = Self.wantedControllers.filter(available.contains).map { "+\($0)" }.joined(separator: " ")

        // Controllers can only be enabled for children of a cgroup with no processes of its own.
        let supervisorPath = joinPath(ownPath, Self.supervisorDirectory)
        try SystemCall.makeDirectory(supervisorPath)
        let supervisor = try CgroupDirectory(opening: supervisorPath)
        try supervisor.attach(pid: getpid())
        for pid in try own.processes() {
            do throws(CgroupError) {
                try supervisor.attach(pid: pid)
            } catch .writeFailed(_, _, let error) where error.errno == ESRCH {
                continue  // exited meanwhile
            }
        }
        try own.write(enable, to: "cgroup.subtree_control")

        for parent in CgroupName.parentDirectories {
            let path = joinPath(ownPath, parent)
            try SystemCall.makeDirectory(path)
            try CgroupDirectory(opening: path).write(enable, to: "cgroup.subtree_control")
        }
        if !(try CgroupDirectory(opening: joinPath(ownPath, "apps")).contains("memory.swap.max")) {
            logger.warning("cgroup v2 swap accounting is off: memory.swap.max is missing, so swap is not limited")
        }
        logger.info("cgroup v2 subtree ready", metadata: ["cgroup": "\(ownPath)", "controllers": "\(enable)"])
    }

    public func create(_ name: CgroupName, limits: ResourceLimits) throws(CgroupError) -> Cgroup {
        let name = try name.validated()
        try limits.validate()
        let path = leafPath(name)
        let created = try SystemCall.makeDirectory(path, missingParentHint: "call prepare() first")
        do throws(CgroupError) {
            let leaf = try CgroupDirectory(opening: path)
            if !created {
                let pids = try leaf.processes()
                guard pids.isEmpty else { throw CgroupError.inUse(path: path, pids: pids) }
                logger.notice("reusing an empty leftover cgroup", metadata: ["cgroup": "\(path)"])
            }
            try leaf.apply(limits.unifiedWrites)
            logger.debug("cgroup created", metadata: ["cgroup": "\(path)", "limits": "\(limits)"])
            return Cgroup(name: name, layout: .unified(leaf))
        } catch {
            if created { _ = try? SystemCall.removeDirectory(path) }
            throw error
        }
    }

    public func adopt(_ name: CgroupName) throws(CgroupError) -> Cgroup? {
        let name = try name.validated()
        return try CgroupDirectory.openIfPresent(leafPath(name)).map { Cgroup(name: name, layout: .unified($0)) }
    }

    public func remove(_ cgroup: Cgroup) async throws(CgroupError) {
        try await cgroup.removeKillingProcesses()
        logger.debug("cgroup removed", metadata: ["cgroup": "\(leafPath(cgroup.name))"])
    }

    public func existing() throws(CgroupError) -> [CgroupName] {
        var names: [CgroupName] = []
        for parent in CgroupName.parentDirectories {
            names += try SystemCall.subdirectories(of: joinPath(ownPath, parent)).compactMap {
                CgroupName(directoryName: $0, in: parent)
            }
        }
        return names
    }
}
