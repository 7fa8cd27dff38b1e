import Glibc
import Logging
import Synchronization

/// The template roots of a runner: per ``RootFilesystem/TemplateKey`` one mount namespace holding the
/// static part of a sandbox's root, built on first use. A sandbox's child copies it (`setns` +
/// `unshare(CLONE_NEWNS)`) and adds only its own mounts, instead of building ~80 mounts and files and
/// pivoting into them (about 0.5 ms, plus an RCU grace period to detach the old root).
///
/// Binds of single host files (`/etc/ld.so.cache`, `/etc/localtime`, `/init`) pin the file that was there
/// when the template was built; when one has been replaced since (by `ldconfig`, a package upgrade), the
/// template is rebuilt before a sandbox uses it. They are looked at at most once per ``checkInterval`` (a
/// `stat` of each costs about 25 µs per start, on a path of about 1.7 ms), so a sandbox started within that
/// time of the replacement may still get the old file.
final class RootTemplates: Sendable {
    /// A template mount namespace, kept open; closed when the last sandbox using it has been spawned.
    final class Template: Sendable {
        let namespaceFD: Int32
        let watchedFiles: [String: FileIdentity]
        /// When the watched files were last found unchanged.
        private let checked: Mutex<ContinuousClock.Instant>

        init(namespaceFD: Int32, watchedFiles: [String: FileIdentity]) {
            self.namespaceFD = namespaceFD
            self.watchedFiles = watchedFiles
            checked = Mutex(.now)
        }

        deinit {
            close(namespaceFD)
        }

        /// Whether no watched file has been replaced, as of at most ``RootTemplates/checkInterval`` ago.
        var isCurrent: Bool {
            let now = ContinuousClock.now
            if checked.withLock({ now - $0 < RootTemplates.checkInterval }) { return true }
            guard watchedFiles.allSatisfy({ FileIdentity(path: $0.key) == $0.value }) else { return false }
            checked.withLock { $0 = now }
            return true
        }
    }

    /// Which file a path is now: replacing a file by rename changes it.
    struct FileIdentity: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64
        let modified: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            modified = info.st_mtim.tv_sec
        }
    }

    private enum Entry {
        case ready(Template)
        /// Building failed: sandboxes with this key build their roots themselves.
        case unavailable
    }

    /// How long a finding that the watched files are unchanged holds.
    static let checkInterval = Duration.seconds(1)

    private let stagingRoot: String
    private let rootOptions: String
    private let logger: Logger
    private let entries = Mutex<[RootFilesystem.TemplateKey: Entry]>([:])

    init(stagingRoot: String, rootOptions: String, logger: Logger) {
        self.stagingRoot = stagingRoot
        self.rootOptions = rootOptions
        self.logger = logger
    }

    /// The template for `filesystem`, built (on a thread of its own) when missing or out of date; nil when
    /// templates cannot be built here.
    /// - Parameter watchedFiles: Host files bound singly into the template.
    func template(for filesystem: RootFilesystem, watchedFiles: [String]) async -> Template? {
        let key = filesystem.templateKey
        switch entries.withLock({ $0[key] }) {
        case .ready(let template) where template.isCurrent: return template
        case .unavailable: return nil
        case .ready, nil: break
        }
        let operations = filesystem.templateOperations()
        let (stagingRoot, rootOptions) = (self.stagingRoot, self.rootOptions)
        do {
            let identities = Dictionary(uniqueKeysWithValues: watchedFiles.compactMap { path in FileIdentity(path: path).map { (path, $0) } })
            let namespaceFD = try await SandboxRunner.onDedicatedThread {
                try Spawner.buildTemplate(stagingRoot: stagingRoot, rootOptions: rootOptions, operations: operations)
            }
            let template = Template(namespaceFD: namespaceFD, watchedFiles: identities)
            entries.withLock { $0[key] = .ready(template) }
            logger.debug("sandbox root template built", metadata: ["extraReadOnlyPaths": "\(key.extraReadOnlyPaths)"])
            return template
        } catch {
            logger.warning("cannot build a sandbox root template; sandboxes build their roots themselves (slower)",
                           metadata: ["error": "\(error)"])
            entries.withLock { $0[key] = .unavailable }
            return nil
        }
    }
}
