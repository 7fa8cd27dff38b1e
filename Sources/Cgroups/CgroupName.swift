/// The leaf cgroup of one app instance or one build.
///
/// The id is validated (`[a-z0-9-]{1,64}`) and prefixed on disk (`apps/app-<id>`, `builds/build-<id>`), so a
/// user-chosen name can neither climb out of our subtree (`../x`) nor collide with a kernel file such as
/// `memory.max` or `cgroup.procs`.
public enum CgroupName: Sendable, Hashable, CustomStringConvertible {
    /// An app instance, at `apps/app-<id>`.
    case app(String)
    /// A build, at `builds/build-<id>`.
    case build(String)

    /// The longest id accepted.
    public static let maximumIDLength = 64

    /// A validated app name.
    /// - Throws: ``CgroupError/invalidName(_:reason:)`` when `id` is not 1 to 64 characters of `[a-z0-9-]`.
    public static func app(validating id: String) throws(CgroupError) -> CgroupName {
        try validate(id)
        return .app(id)
    }

    /// A validated build name.
    /// - Throws: ``CgroupError/invalidName(_:reason:)`` when `id` is not 1 to 64 characters of `[a-z0-9-]`.
    public static func build(validating id: String) throws(CgroupError) -> CgroupName {
        try validate(id)
        return .build(id)
    }

    /// Checks that `id` is 1 to 64 characters of `[a-z0-9-]`.
    public static func validate(_ id: String) throws(CgroupError) {
        guard !id.isEmpty else { throw .invalidName(id, reason: "it is empty") }
        guard id.utf8.count <= maximumIDLength else {
            throw .invalidName(id, reason: "it is longer than \(maximumIDLength) characters")
        }
        guard id.utf8.allSatisfy({ isAllowed($0) }) else {
            throw .invalidName(id, reason: "it contains a character other than a-z, 0-9 and -")
        }
    }

    /// The id given at creation.
    public var id: String {
        switch self {
        case .app(let id), .build(let id): id
        }
    }

    /// The directory holding leaves of this kind, relative to the manager's base: `apps` or `builds`.
    var parentDirectory: String {
        switch self {
        case .app: "apps"
        case .build: "builds"
        }
    }

    /// The leaf's own directory name: `app-<id>` or `build-<id>`.
    var directoryName: String {
        switch self {
        case .app(let id): "app-\(id)"
        case .build(let id): "build-\(id)"
        }
    }

    /// The path relative to the manager's base, e.g. `apps/app-web-1`.
    public var relativePath: String { "\(parentDirectory)/\(directoryName)" }

    public var description: String { relativePath }

    /// Parses a directory name found in `parentDirectory` (`apps` or `builds`) back into a name;
    /// nil for anything we did not create.
    init?(directoryName: String, in parentDirectory: String) {
        let prefix: String
        switch parentDirectory {
        case "apps": prefix = "app-"
        case "builds": prefix = "build-"
        default: return nil
        }
        guard directoryName.hasPrefix(prefix) else { return nil }
        let id = String(directoryName.dropFirst(prefix.count))
        guard (try? Self.validate(id)) != nil else { return nil }
        self = parentDirectory == "apps" ? .app(id) : .build(id)
    }

    /// Both parent directories, in a fixed order.
    static let parentDirectories = ["apps", "builds"]

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}
