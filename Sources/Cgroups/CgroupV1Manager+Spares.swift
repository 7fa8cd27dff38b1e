import Glibc
import Systemd

/// A cgroup v1 leaf made ahead of time, limits written, under a placeholder name (`apps/spare-<tag>` in
/// every controller): ``CgroupV1Manager/claim(_:as:)`` renames it to a sandbox's own name, which costs one
/// `rename` per controller instead of a `mkdir` and the limit writes (about 0.25 ms of a sandbox start).
///
/// Placeholder names never start with `app-` or `build-`, so ``CgroupManager/existing()`` and live restore
/// do not see spares. cgroup v2 cannot rename cgroups: spares are a v1 feature.
public struct SpareCgroup: Sendable {
    /// For builds (`builds/`) or app instances (`apps/`): a spare is renamed within its parent only.
    public let isBuild: Bool
    public let limits: ResourceLimits
    /// The placeholder directory of each controller in use.
    let paths: [LegacyController: String]
    /// Controllers co-mounted with an earlier one (`cpu,cpuacct`): their directory is that one's, renamed with it.
    let aliases: Set<LegacyController>
}

extension CgroupV1Manager {
    /// What every spare's directory name starts with.
    static let sparePrefix = "spare-"

    /// Creates a spare leaf named `spare-<tag>` with `limits`.
    /// - Parameter tag: `[a-z0-9-]`, unique among this manager's spares.
    public func makeSpare(tag: String, isBuild: Bool, limits: ResourceLimits) throws(CgroupError) -> SpareCgroup {
        try CgroupName.validate(tag)
        try limits.validate()
        let parent = isBuild ? "builds" : "apps"
        var paths: [LegacyController: String] = [:]
        var aliases: Set<LegacyController> = []
        do throws(CgroupError) {
            for controller in controllers {
                guard let base = bases[controller] else { continue }
                let path = joinPath(base, parent, Self.sparePrefix + tag)
                if !(try SystemCall.makeDirectory(path, missingParentHint: "call prepare() first")) {
                    // Only a co-mounted controller may find its directory made already: by us, just now.
                    guard paths.contains(where: { !aliases.contains($0.key) && Self.isSameDirectory($0.value, path) }) else {
                        throw CgroupError.systemCall(SystemCallError(operation: "mkdir(\(path))", errno: EEXIST))
                    }
                    aliases.insert(controller)
                }
                paths[controller] = path
                try CgroupDirectory(opening: path).apply(limits.legacyWrites(for: controller))
            }
        } catch {
            for (controller, path) in paths where !aliases.contains(controller) { _ = try? SystemCall.removeDirectory(path) }
            throw error
        }
        return SpareCgroup(isBuild: isBuild, limits: limits, paths: paths, aliases: aliases)
    }

    /// Renames `spare` to `name` in every controller and opens it. A spare whose directory disappeared, or
    /// a `name` that exists already (a leftover of a crash), throws; the caller then creates the leaf the
    /// usual way (``create(_:limits:)`` reuses a leftover) and discards the spare.
    public func claim(_ spare: SpareCgroup, as name: CgroupName) throws(CgroupError) -> Cgroup {
        let name = try name.validated()
        guard name.parentDirectory == (spare.isBuild ? "builds" : "apps") else {
            throw .invalidName(name.id, reason: "a spare is renamed within its own parent directory")
        }
        var renamed: [(from: String, to: String)] = []
        do throws(CgroupError) {
            var leaves: [LegacyController: CgroupDirectory] = [:]
            for controller in controllers {
                guard let from = spare.paths[controller], let to = leafPath(name, in: controller) else { continue }
                if spare.aliases.contains(controller) {
                    leaves[controller] = try CgroupDirectory(opening: to)  // renamed with the controller it shares
                    continue
                }
                do throws(SystemCallError) {
                    try SystemCall.retryingInterrupts("rename(\(from), \(to))") { rename(from, to) }
                } catch {
                    throw CgroupError.systemCall(error)
                }
                renamed.append((from, to))
                leaves[controller] = try CgroupDirectory(opening: to)
            }
            return Cgroup(name: name, layout: .legacy(leaves))
        } catch {
            for (from, to) in renamed.reversed() { _ = rename(to, from) }
            throw error
        }
    }

    /// Removes a spare that will not be claimed.
    public func discard(_ spare: SpareCgroup) {
        for (controller, path) in spare.paths where !spare.aliases.contains(controller) {
            _ = try? SystemCall.removeDirectory(path)
        }
    }

    /// Whether two paths name one directory (through the symlinks of co-mounted controllers).
    static func isSameDirectory(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        return stat(first, &a) == 0 && stat(second, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Removes spares left by an earlier process (empty directories; one in use cannot be removed).
    /// - Parameter keeping: Tags of spares to leave alone.
    public func removeLeftoverSpares(keeping: Set<String> = []) {
        for base in baseDirectories {
            for parent in CgroupName.parentDirectories {
                for directory in (try? SystemCall.subdirectories(of: joinPath(base, parent))) ?? []
                where directory.hasPrefix(Self.sparePrefix) && !keeping.contains(String(directory.dropFirst(Self.sparePrefix.count))) {
                    _ = try? SystemCall.removeDirectory(joinPath(base, parent, directory))
                }
            }
        }
    }
}
