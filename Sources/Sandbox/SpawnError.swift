import CSpawn
import Glibc

/// Why a sandbox did not start: the stage the C child reached, and errno there.
public struct SpawnError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Stage: String, Sendable {
        case clone, signals, waitForParent, unshare, mountPrivate, rootTmpfs, operation, pivotRoot, readOnlyRoot, hostname, loopback,
             fileDescriptors, capabilities, identity, workingDirectory, noNewPrivileges, seccomp, exec, joinNamespaces, cgroup, network, template, moveMount, parentSetup, unknown
    }

    public var stage: Stage
    public var errno: Int32
    /// For `.operation`: the failing mount operation.
    public var operation: MountOperation?

    public var description: String {
        var text = "sandbox spawn failed at stage \(stage.rawValue): \(String(cString: strerror(errno))) (errno \(errno))"
        if let operation { text += " during \(operation)" }
        switch (stage, errno) {
        case (.clone, EPERM), (.mountPrivate, EPERM):
            text += "; pomegranate must run as root with CAP_SYS_ADMIN (it does under pomegranate.service)"
        case (.exec, ENOENT):
            text += "; the program does not exist inside the sandbox (only /usr, /app and configured paths are visible)"
        default: break
        }
        return text
    }

    static func stage(_ raw: Int32) -> Stage {
        switch UInt32(raw) {
        case PAASTECH_STAGE_SIGNALS.rawValue: .signals
        case PAASTECH_STAGE_WAIT_FOR_PARENT.rawValue: .waitForParent
        case PAASTECH_STAGE_UNSHARE.rawValue: .unshare
        case PAASTECH_STAGE_MOUNT_PRIVATE.rawValue: .mountPrivate
        case PAASTECH_STAGE_ROOT_TMPFS.rawValue: .rootTmpfs
        case PAASTECH_STAGE_OPERATION.rawValue: .operation
        case PAASTECH_STAGE_PIVOT_ROOT.rawValue: .pivotRoot
        case PAASTECH_STAGE_READONLY_ROOT.rawValue: .readOnlyRoot
        case PAASTECH_STAGE_HOSTNAME.rawValue: .hostname
        case PAASTECH_STAGE_LOOPBACK.rawValue: .loopback
        case PAASTECH_STAGE_FDS.rawValue: .fileDescriptors
        case PAASTECH_STAGE_CAPABILITIES.rawValue: .capabilities
        case PAASTECH_STAGE_IDENTITY.rawValue: .identity
        case PAASTECH_STAGE_CHDIR.rawValue: .workingDirectory
        case PAASTECH_STAGE_NO_NEW_PRIVS.rawValue: .noNewPrivileges
        case PAASTECH_STAGE_SECCOMP.rawValue: .seccomp
        case PAASTECH_STAGE_EXEC.rawValue: .exec
        case PAASTECH_STAGE_JOIN.rawValue: .joinNamespaces
        case PAASTECH_STAGE_CGROUP.rawValue: .cgroup
        case PAASTECH_STAGE_NETWORK.rawValue: .network
        case PAASTECH_STAGE_TEMPLATE.rawValue: .template
        case PAASTECH_STAGE_MOVE_MOUNT.rawValue: .moveMount
        default: .unknown
        }
    }
}
