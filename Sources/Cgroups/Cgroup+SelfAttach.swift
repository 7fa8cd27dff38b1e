extension Cgroup {
    /// cgroup v1: the leaf's open directory fds, one per controller, for a child that moves itself in (it
    /// writes `0` to `cgroup.procs` through each) before it execs, so the parent has nothing to do between
    /// clone and exec. Empty on cgroup v2, where ``directoryFD`` and `CLONE_INTO_CGROUP` do this. Owned by
    /// this object: do not close them.
    public var selfAttachDirectoryFDs: [Int32] {
        switch layout {
        case .unified: []
        case .legacy: directories.map(\.fd)
        }
    }
}
