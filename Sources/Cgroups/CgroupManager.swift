import Logging

/// Creates, finds and removes the cgroups of app instances and builds, hiding the cgroup version.
///
/// One backend per host layout, each with the same shape: ``CgroupV2Manager`` (a delegated cgroup v2
/// subtree) and ``CgroupV1Manager`` (legacy and hybrid hosts). ``makeCgroupManager(root:logger:)``
/// picks the one that fits. Leaves live at `apps/app-<id>` and `builds/build-<id>` below the manager's base.
public protocol CgroupManager: Sendable {
    /// The cgroup version this backend drives.
    var mode: CgroupMode { get }

    /// Sets up our subtree; call once at startup, before ``create(_:limits:)``.
    ///
    /// v2: moves this process into `<own>/supervisor` (no processes may sit in an inner cgroup), enables
    /// `cpu memory pids io` in `cgroup.subtree_control` of `<own>`, `<own>/apps` and `<own>/builds`.
    /// v1: creates `<controller>/<own>/<subtree>/{apps,builds}` in every controller.
    func prepare() throws(CgroupError)

    /// Creates the leaf for `name` and writes `limits` into it. An existing leaf without processes (left by
    /// a crash) is reused with the new limits.
    /// - Throws: ``CgroupError/inUse(path:pids:)`` when the leaf exists with processes in it; any write error
    ///   names the file and value (a half-made new leaf is removed again).
    func create(_ name: CgroupName, limits: ResourceLimits) throws(CgroupError) -> Cgroup

    /// Opens the existing leaf of `name`, for live restore after a restart; nil when there is none.
    func adopt(_ name: CgroupName) throws(CgroupError) -> Cgroup?

    /// Kills every process left in the cgroup (`cgroup.kill` when the kernel has it, SIGKILL to each pid
    /// otherwise), waits until it is empty and removes the leaf.
    /// - Throws: ``CgroupError/stillPopulated(path:pids:waited:)`` when processes do not die within 10 s.
    func remove(_ cgroup: Cgroup) async throws(CgroupError)

    /// The leaves that exist now, for live restore: instances that outlived a restart, or leftovers.
    func existing() throws(CgroupError) -> [CgroupName]
}

/// The manager for this host: cgroup v2 when `root` is a cgroup2 mount, v1 for legacy and hybrid hosts.
/// - Parameters:
///   - root: The cgroup root, `/sys/fs/cgroup` on every current distribution.
///   - legacySubtree: cgroup v1 only: our directory below our own cgroup. Two supervisors in one cgroup
///     (a test run beside a daemon) need different ones, or each treats the other's sandboxes as leftovers.
///   - logger: Receives notes such as "swap accounting is off".
/// - Throws: ``CgroupError/unsupportedHierarchy(root:detail:)`` when neither layout is found, or an error
///   reading `/proc/self/cgroup`.
public func makeCgroupManager(root: String = CgroupMode.defaultRoot, legacySubtree: String = CgroupV1Manager.defaultSubtree,
                              logger: Logger) throws(CgroupError) -> any CgroupManager {
    switch try CgroupMode.detect(root: root) {
    case .unified: try CgroupV2Manager(root: root, logger: logger)
    case .legacy: try CgroupV1Manager(root: root, subtree: legacySubtree, logger: logger)
    }
}

extension CgroupName {
    /// Fails for a name built with an unvalidated id (`.app("../x")`): every manager entry point checks.
    func validated() throws(CgroupError) -> CgroupName {
        try Self.validate(id)
        return self
    }
}
