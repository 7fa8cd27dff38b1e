import CSpawn
import Foundation
import Glibc

extension SandboxRunner {
    /// A sandbox's root as planned for its spawn: kept until the child has entered it.
    final class PreparedRoot: Sendable {
        /// The template the child copies; nil when it builds the whole root itself.
        let template: RootTemplates.Template?
        /// Detached mounts of host directories (`/app`, `/data`) the child attaches inside its copy.
        let movedMounts: [(fd: Int32, target: String)]

        init(template: RootTemplates.Template?, movedMounts: [(fd: Int32, target: String)]) {
            self.template = template
            self.movedMounts = movedMounts
        }

        /// Our copies of the detached mounts; the child has its own once spawned.
        func closeMovedMounts() {
            for mount in movedMounts { close(mount.fd) }
        }
    }

    /// Plans the sandbox's root into `request`: from a template when templates work here (the template's
    /// operations, mounts of the host's `/app` and `/data` made here), else the whole root.
    /// - Throws: ``SpawnError`` (stage `operation`) when `/app` or `/data` cannot be mounted.
    func prepareRoot(for options: SandboxOptions, in request: inout SpawnRequest) async throws -> PreparedRoot {
        var filesystem = RootFilesystem.Options(hostname: options.hostname, uid: options.uid, gid: options.gid,
                                                initExecutable: initExecutable, resolvConf: resolvConf)
        filesystem.appDirectory = options.appDirectory
        filesystem.appWritable = options.appWritable
        filesystem.dataDirectory = options.dataDirectory
        filesystem.extraReadOnlyPaths = options.extraReadOnlyPaths
        filesystem.cgroupView = cgroups.mode == .unified ? .unified : .legacy(controllers: ["memory", "cpu", "pids"])
        let known = hostPaths
        let checked = Set(RootFilesystem.hostPathsChecked)
        let root = RootFilesystem(
            options: filesystem,
            fileExists: { checked.contains($0) ? known[$0] != nil : FileManager.default.fileExists(atPath: $0) },
            isDirectory: { known[$0] ?? RootFilesystem.hostIsDirectory($0) }
        )
        guard let template = await templates.template(for: root, watchedFiles: [initExecutable] + RootFilesystem.hostReadOnlyFiles) else {
            request.operations = root.operations()
            return PreparedRoot(template: nil, movedMounts: [])
        }
        var movedMounts: [(fd: Int32, target: String)] = []
        for mount in root.hostMounts() {
            let fd = paastech_clone_mount(mount.source, mount.readOnly ? 1 : 0)
            guard fd >= 0 else {
                for made in movedMounts { close(made.fd) }
                throw SpawnError(stage: .operation, errno: -fd,
                                 operation: MountOperation.bind(mount.source, at: mount.target, readOnly: mount.readOnly).first)
            }
            movedMounts.append((fd, mount.target))
        }
        request.template = template.namespaceFD
        request.operations = root.sandboxOperations()
        request.movedMounts = movedMounts
        return PreparedRoot(template: template, movedMounts: movedMounts)
    }
}
