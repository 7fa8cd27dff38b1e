import Glibc
import Logging
import Systemd

/// The cgroup v1 backend, for legacy and hybrid hosts: one hierarchy per controller.
///
/// In each controller we stay below our own cgroup (from `/proc/self/cgroup`), inside the area we were
/// given:
/// ```
/// <root>/<controller><own>/<subtree>/apps/app-<id>/
/// <root>/<controller><own>/<subtree>/builds/build-<id>/
/// ```
/// Processes are moved in by the parent (``Cgroup/attach(pid:)``) before the child execs: v1 has no
/// `CLONE_INTO_CGROUP`. This process stays where it is (v1 allows processes in inner cgroups).
public struct CgroupV1Manager: CgroupManager {
    /// The tmpfs holding the controller mounts, `/sys/fs/cgroup`.
    public let root: String
    /// Our directory below our own cgroup in each controller, `paastech` by default.
    public let subtree: String
    /// `<root>/<controller><own>/<subtree>` for each controller in use.
    let bases: [LegacyController: String]
    private let logger: Logger

    public var mode: CgroupMode { .legacy }

    /// The default ``subtree``.
    public static let defaultSubtree = "paastech"

    /// A manager for explicit own cgroups, e.g. in a test.
    /// - Parameters:
    ///   - root: The directory holding the controller mounts.
    ///   - ownCgroups: Our cgroup path per controller; a controller left out means `/`.
    ///   - subtree: Our directory name below our own cgroup, `[a-z0-9-]{1,64}`; a unique one per test keeps
    ///     tests apart.
    ///   - logger: For notes about the setup.
    /// - Throws: ``CgroupError/invalidName(_:reason:)`` for a bad `subtree`.
    public init(
        root: String = CgroupMode.defaultRoot,
        ownCgroups: [LegacyController: String],
        subtree: String = defaultSubtree,
        logger: Logger
    ) throws(CgroupError) {
        try CgroupName.validate(subtree)
        self.root = root
        self.subtree = subtree
        self.logger = logger
        var bases: [LegacyController: String] = [:]
        for controller in LegacyController.allCases
        where controller.isRequired || SystemCall.exists(joinPath(root, controller.rawValue)) {
            bases[controller] = joinPath(root, controller.rawValue, ownCgroups[controller] ?? "/", subtree)
        }
        self.bases = bases
    }

    /// A manager below this process's own v1 cgroups, read from `/proc/self/cgroup`.
    public init(root: String = CgroupMode.defaultRoot, subtree: String = defaultSubtree, logger: Logger) throws(CgroupError) {
        let own = try ProcessCgroups.current().legacy
        var ownCgroups: [LegacyController: String] = [:]
        for controller in LegacyController.allCases {
            ownCgroups[controller] = own[controller.rawValue]
        }
        try self.init(root: root, ownCgroups: ownCgroups, subtree: subtree, logger: logger)
    }

    /// The controllers in use, in a fixed order.
    var controllers: [LegacyController] { LegacyController.allCases.filter { bases[$0] != nil } }

    /// The base directories, one per controller in use.
    public var baseDirectories: [String] { controllers.compactMap { bases[$0] } }

    func leafPath(_ name: CgroupName, in controller: LegacyController) -> String? {
        bases[controller].map { joinPath($0, name.relativePath) }
    }

    public func prepare() throws(CgroupError) {
        for controller in controllers {
            let mount = joinPath(root, controller.rawValue)
            guard (try? SystemCall.fileSystemType(of: mount)) == CgroupMode.cgroup1Magic else {
                throw .controllerMissing(controller.rawValue, path: mount)
            }
            guard let base = bases[controller] else { continue }
            try SystemCall.makeDirectory(base)
            for parent in CgroupName.parentDirectories {
                try SystemCall.makeDirectory(joinPath(base, parent))
            }
        }
        if let memory = bases[.memory], !SystemCall.exists(joinPath(memory, "memory.memsw.limit_in_bytes")) {
            logger.warning("cgroup v1 swap accounting is off (boot with swapaccount=1): memory limits do not cover swap")
        }
        logger.info("cgroup v1 subtrees ready", metadata: ["cgroups": "\(baseDirectories)"])
        favorDynamicModifications()
    }

    /// Every sandbox start moves its child into its leaves: see ``FavorDynamicModifications``. Without the
    /// option sandboxes still work, each start after a pause taking an RCU grace period longer.
    func favorDynamicModifications() {
        do throws(CgroupError) {
            switch try FavorDynamicModifications.enable() {
            case .enabled(let mountPoint):
                logger.info("cgroup2 option favordynmods set: moving a sandbox into its cgroup no longer waits for an RCU grace period",
                            metadata: ["mount": "\(mountPoint)"])
            case .alreadyEnabled:
                break
            case .noCgroup2Mount:
                logger.notice("""
                    no cgroup2 mount to set favordynmods on: each sandbox start after a pause waits for an RCU grace \
                    period (about 15 ms); mount cgroup2 with -o favordynmods (Linux 6.0+) to avoid it
                    """)
            }
        } catch {
            logger.warning("cannot set the cgroup2 option favordynmods: each sandbox start after a pause waits for an RCU grace period",
                           metadata: ["error": "\(error)"])
        }
    }

    public func create(_ name: CgroupName, limits: ResourceLimits) throws(CgroupError) -> Cgroup {
        let name = try name.validated()
        try limits.validate()
        var created: [String] = []
        do throws(CgroupError) {
            var leaves: [LegacyController: CgroupDirectory] = [:]
            for controller in controllers {
                guard let path = leafPath(name, in: controller) else { continue }
                let isNew = try SystemCall.makeDirectory(path, missingParentHint: "call prepare() first")
                if isNew { created.append(path) }
                let leaf = try CgroupDirectory(opening: path)
                if !isNew {
                    // cpu and cpuacct may be one co-mounted hierarchy: then the second mkdir finds the first.
                    let pids = try leaf.processes()
                    guard pids.isEmpty else { throw CgroupError.inUse(path: path, pids: pids) }
                }
                try leaf.apply(limits.legacyWrites(for: controller))
                leaves[controller] = leaf
            }
            logger.debug("cgroup created", metadata: ["cgroup": "\(name)", "limits": "\(limits)"])
            return Cgroup(name: name, layout: .legacy(leaves))
        } catch {
            for path in created.reversed() { _ = try? SystemCall.removeDirectory(path) }
            throw error
        }
    }

    public func adopt(_ name: CgroupName) throws(CgroupError) -> Cgroup? {
        let name = try name.validated()
        var leaves: [LegacyController: CgroupDirectory] = [:]
        for controller in controllers {
            guard let path = leafPath(name, in: controller) else { continue }
            leaves[controller] = try CgroupDirectory.openIfPresent(path)
        }
        guard !leaves.isEmpty else { return nil }
        let missing = controllers.filter { leaves[$0] == nil }
        if !missing.isEmpty {
            // A crash between two mkdirs; still returned so that remove() can clean it up.
            logger.warning("cgroup is incomplete", metadata: ["cgroup": "\(name)", "missing": "\(missing)"])
        }
        return Cgroup(name: name, layout: .legacy(leaves))
    }

    public func remove(_ cgroup: Cgroup) async throws(CgroupError) {
        try await cgroup.removeKillingProcesses()
        logger.debug("cgroup removed", metadata: ["cgroup": "\(cgroup.name)"])
    }

    /// Leaves found in any controller, so a half-made leaf is found too.
    public func existing() throws(CgroupError) -> [CgroupName] {
        var names: Set<CgroupName> = []
        for base in baseDirectories {
            for parent in CgroupName.parentDirectories {
                for directory in try SystemCall.subdirectories(of: joinPath(base, parent)) {
                    if let name = CgroupName(directoryName: directory, in: parent) { names.insert(name) }
                }
            }
        }
        return names.sorted { $0.relativePath < $1.relativePath }
    }
}
